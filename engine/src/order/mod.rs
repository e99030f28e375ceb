//! Order actions: what we want resting at the venue, turned into the messages that put it there.
//!
//! - [`OrderManager`] ([`manager`]): per instrument and side, at most one resting order of ours.
//!   Each frame, [`OrderManager::reconcile`] diffs the risk-approved desired quotes against what
//!   rests and appends the [`OrderAction`]s that close the gap to an [`ActionBuffer`]. Anything
//!   that rests a new price must arrive as an `Approved<OrderIntent>`, which only `risk` can
//!   build; cancels need no approval.
//! - [`OrderAction`], [`WorkingOrder`], [`ClientOrderId`] ([`action`]): the vocabulary. A
//!   [`ClientOrderId`] has a fixed text form (`hc` + session prefix + sequence) so that a
//!   restarted engine can tell its own orders from anyone else's.
//! - [`BinanceOrderEncoder`] ([`binance`]): one action → the bytes of one signed Binance USD-M
//!   WebSocket API request (`order.place`, `order.modify`, `order.cancel`).
//! - [`StepFormat`] ([`decimal`]): exact decimal text of `count × step`, without `f64`.
//!
//! ## Guarantees
//! - After construction nothing here allocates, locks or makes a system call: the manager's
//!   table and the encoder's buffer are sized up front, the action buffer is an array, and the
//!   keyed HMAC state is copied on the stack per message.
//! - Bad input is an error value, never a panic. The one panic is a construction bug
//!   ([`OrderManager::with_min_reprice_ticks`] below one tick).
//! - Deterministic: the same calls give the same client ids, actions and bytes.
//!
//! ## Lifecycle
//! Build an [`OrderManager`] and a [`BinanceOrderEncoder`] at start-up. Per frame: clear the
//! [`ActionBuffer`], [`reconcile`](OrderManager::reconcile) each quoted instrument, then
//! [`encode`](BinanceOrderEncoder::encode) each action and hand the bytes to the gateway. Book
//! keeping is optimistic (an action counts as done when emitted); the venue's answers come back
//! through [`OrderManager::on_ack`], [`OrderManager::on_reject`] and [`OrderManager::on_fill`].

pub mod action;
pub mod binance;
pub mod decimal;
pub mod manager;

pub use action::{ActionBuffer, ActionBufferFull, ClientOrderId, OrderAction, WorkingOrder};
pub use binance::{BinanceOrderEncoder, EncodeError};
pub use decimal::{DecimalText, StepFormat};
pub use manager::{OrderManager, ReconcileError, RestingOrder};
