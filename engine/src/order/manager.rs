//! The order manager: what should rest at the venue versus what does, and the actions between.
//!
//! [`OrderManager`] keeps, per instrument and side, at most one [`RestingOrder`] of ours: the
//! quoting core quotes one level per side. [`OrderManager::reconcile`] takes the risk-approved
//! desired quotes of one instrument and appends to an [`ActionBuffer`], per side:
//!
//! | desired | resting | action |
//! |---|---|---|
//! | none | none | nothing |
//! | none | some | `Cancel` |
//! | some | none | `New`, with the next client id |
//! | some | some, price off by ≥ `min_reprice_ticks` or open size differs | `Replace` (same client id) |
//! | some | some, otherwise | nothing |
//!
//! [`reconcile`](OrderManager::reconcile) and [`cancel_all`](OrderManager::cancel_all) never fail
//! loudly: a call that cannot be honoured changes nothing and is counted
//! ([`error_count`](OrderManager::error_count)); [`try_reconcile`](OrderManager::try_reconcile) and
//! [`try_cancel_all`](OrderManager::try_cancel_all) return the [`ReconcileError`] instead.
//!
//! Book keeping is optimistic: an action counts as done the moment it is emitted. The venue's
//! answers come back through three seams with deliberately simple semantics, to be refined by
//! the gateway work: [`on_ack`](OrderManager::on_ack) (the venue confirmed an action),
//! [`on_reject`](OrderManager::on_reject) (it refused one) and [`on_fill`](OrderManager::on_fill)
//! (an execution on one of our orders).
//!
//! Why a replace keeps the client id: Binance's `order.modify` amends the order in place, and the
//! order keeps its `orderId` and `clientOrderId` (USD-M Futures WebSocket API "Modify Order
//! (TRADE)"), so the manager's record must too. A venue without amendment would have to map a
//! `Replace` to cancel + new under a fresh id; that is the gateway's concern.

use super::action::{ActionBuffer, ClientOrderId, OrderAction, WorkingOrder};
use feeds::{InstrumentId, Lots, Side, Ticks};
use risk::{ActionKind, Approved, OrderIntent};

/// What we believe rests at the venue on one side of one instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestingOrder {
    /// The order as last sent (placed or amended).
    pub order: WorkingOrder,
    /// Quantity filled so far, as reported through [`OrderManager::on_fill`]. Always below
    /// `order.qty`: a fully filled order is forgotten.
    pub filled: Lots,
    /// The venue confirmed the last action on this order ([`OrderManager::on_ack`]). Nothing waits
    /// for it under optimistic book keeping; it is kept for the gateway and for metrics.
    pub acknowledged: bool,
}

impl RestingOrder {
    /// The quantity still open at the venue: `order.qty − filled`.
    #[inline]
    pub fn open_qty(&self) -> Lots {
        Lots(self.order.qty.get().saturating_sub(self.filled.get()))
    }
}

/// Why [`OrderManager`] did nothing. Every check runs before any change: after an error the
/// manager's state and the buffer are as they were, so the next frame simply tries again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    /// The instrument id is beyond the table the manager was built with.
    #[error("instrument {0:?} is not in the order manager's table")]
    UnknownInstrument(InstrumentId),
    /// An intent was passed for the wrong instrument or side.
    #[error(
        "the {side:?} quote passed for instrument {instrument:?} is an intent for another instrument or side"
    )]
    Misrouted {
        /// The instrument being reconciled.
        instrument: InstrumentId,
        /// The side it was passed as.
        side: Side,
    },
    /// The action buffer has less room than the call may need.
    #[error("the action buffer has room for {remaining} actions; this call may need {needed}")]
    BufferFull {
        /// Room the call may need (the worst case, whatever it emits this time).
        needed: usize,
        /// Room there was.
        remaining: usize,
    },
}

/// Keeps our resting orders and turns desired quotes into [`OrderAction`]s.
///
/// Built once at start-up; afterwards nothing allocates. Deterministic: the same calls give the
/// same actions and client ids.
#[derive(Clone, Debug)]
pub struct OrderManager {
    /// Indexed by instrument id, then by `Side as usize`. `len()` is fixed at construction.
    book: Vec<[Option<RestingOrder>; 2]>,
    /// Session prefix of every client id this manager makes.
    prefix: u32,
    /// Sequence of the next client id; never 0.
    next_sequence: u32,
    /// A resting order is moved only if the desired price is at least this far away. `≥ 1`.
    min_reprice_ticks: u64,
    /// Calls of [`OrderManager::reconcile`] and [`OrderManager::cancel_all`] that failed.
    errors: u64,
    /// Why the latest of them failed.
    last_error: Option<ReconcileError>,
}

impl OrderManager {
    /// A manager for instrument ids `0..instruments`, making client ids with session prefix
    /// `client_id_prefix` (see [`ClientOrderId`]: a new session needs a new prefix), and
    /// repricing on any move of at least one tick.
    pub fn new(instruments: usize, client_id_prefix: u32) -> OrderManager {
        OrderManager {
            book: vec![[None; 2]; instruments],
            prefix: client_id_prefix,
            next_sequence: 1,
            min_reprice_ticks: 1,
            errors: 0,
            last_error: None,
        }
    }

    /// Leaves a resting order where it is until the desired price is at least `ticks` away,
    /// saving order-rate budget on small wiggles. A change of size still replaces at once.
    ///
    /// # Panics
    /// If `ticks` is below one: zero would replace an order with itself every frame.
    pub fn with_min_reprice_ticks(mut self, ticks: Ticks) -> OrderManager {
        assert!(
            ticks.get() >= 1,
            "OrderManager::with_min_reprice_ticks: must be at least one tick, got {ticks:?}"
        );
        self.min_reprice_ticks = ticks.get().unsigned_abs();
        self
    }

    /// The session prefix of this manager's client ids.
    pub fn client_id_prefix(&self) -> u32 {
        self.prefix
    }

    /// The smallest price move that replaces a resting order.
    pub fn min_reprice_ticks(&self) -> Ticks {
        Ticks(self.min_reprice_ticks as i64)
    }

    /// What we believe rests on `side` of `instrument`.
    #[inline]
    pub fn resting(&self, instrument: InstrumentId, side: Side) -> Option<&RestingOrder> {
        self.book.get(instrument.index())?[side as usize].as_ref()
    }

    /// Diffs the desired quotes of `instrument` against what rests and appends the actions that
    /// close the gap to `out` (at most one per side; see the [module docs](self)).
    ///
    /// A call that cannot be honoured (see [`try_reconcile`](OrderManager::try_reconcile)) changes
    /// nothing and is counted: [`error_count`](OrderManager::error_count),
    /// [`last_error`](OrderManager::last_error). With the quoting core's usage (a table of every
    /// instrument, intents built for the side they are passed as, the buffer cleared per frame)
    /// none can happen.
    #[inline]
    pub fn reconcile(
        &mut self,
        instrument: InstrumentId,
        bid: Option<Approved<OrderIntent>>,
        ask: Option<Approved<OrderIntent>>,
        out: &mut ActionBuffer,
    ) {
        let result = self.try_reconcile(instrument, bid, ask, out);
        self.record(result);
    }

    /// [`reconcile`](OrderManager::reconcile), returning why nothing was done instead of counting
    /// it: `instrument` must be in the table, `bid` an intent for `instrument` on [`Side::Bid`] and
    /// `ask` one on [`Side::Ask`], and `out` must have room for two actions (the worst case).
    ///
    /// The risk gate only approves intents with a positive price and size, so those are not
    /// checked again here (the encoder refuses any other).
    pub fn try_reconcile(
        &mut self,
        instrument: InstrumentId,
        bid: Option<Approved<OrderIntent>>,
        ask: Option<Approved<OrderIntent>>,
        out: &mut ActionBuffer,
    ) -> Result<(), ReconcileError> {
        let desired = [bid.map(Approved::into_inner), ask.map(Approved::into_inner)];
        for (side, intent) in [Side::Bid, Side::Ask].into_iter().zip(&desired) {
            if let Some(intent) = intent
                && (intent.instrument != instrument || intent.side != side)
            {
                return Err(ReconcileError::Misrouted { instrument, side });
            }
        }
        self.apply(instrument, desired, out, &mut |_| true)
    }

    /// [`reconcile`](OrderManager::reconcile), asking `permit` before each action it would emit
    /// (the order-rate budget): a refused action is not emitted and the side is left as it
    /// rests, to be reconciled again at the next decision.
    #[inline]
    pub fn reconcile_within<Permit: FnMut(ActionKind) -> bool>(
        &mut self,
        instrument: InstrumentId,
        bid: Option<Approved<OrderIntent>>,
        ask: Option<Approved<OrderIntent>>,
        out: &mut ActionBuffer,
        mut permit: Permit,
    ) {
        let desired = [bid.map(Approved::into_inner), ask.map(Approved::into_inner)];
        let misrouted = [Side::Bid, Side::Ask].into_iter().zip(&desired).find_map(|(side, intent)| {
            intent.filter(|intent| intent.instrument != instrument || intent.side != side).map(|_| side)
        });
        let result = match misrouted {
            Some(side) => Err(ReconcileError::Misrouted { instrument, side }),
            None => self.apply(instrument, desired, out, &mut permit),
        };
        self.record(result);
    }

    /// Orders of ours resting on `instrument` (0, 1 or 2).
    #[inline]
    pub fn open_orders(&self, instrument: InstrumentId) -> usize {
        self.book.get(instrument.index()).map_or(0, |sides| sides.iter().flatten().count())
    }

    /// Cancels whatever rests on either side of `instrument` (cancels need no approval). A call
    /// that cannot be honoured is counted as in [`reconcile`](OrderManager::reconcile).
    #[inline]
    pub fn cancel_all(&mut self, instrument: InstrumentId, out: &mut ActionBuffer) {
        let result = self.try_cancel_all(instrument, out);
        self.record(result);
    }

    /// [`cancel_all`](OrderManager::cancel_all), returning why nothing was done: `instrument` must
    /// be in the table and `out` must have room for two actions.
    pub fn try_cancel_all(
        &mut self,
        instrument: InstrumentId,
        out: &mut ActionBuffer,
    ) -> Result<(), ReconcileError> {
        self.apply(instrument, [None, None], out, &mut |_| true)
    }

    /// How many calls of [`reconcile`](OrderManager::reconcile) and
    /// [`cancel_all`](OrderManager::cancel_all) did nothing because they could not be honoured.
    pub fn error_count(&self) -> u64 {
        self.errors
    }

    /// Why the latest such call failed.
    pub fn last_error(&self) -> Option<ReconcileError> {
        self.last_error
    }

    /// Seam for the venue's confirmation of `action`: marks the resting order
    /// [`acknowledged`](RestingOrder::acknowledged) if it is still exactly the order the action
    /// left (a late ack of an order amended since changes nothing). Returns whether it did. A
    /// confirmed cancel changes nothing: the order was forgotten when the cancel was emitted.
    pub fn on_ack(&mut self, action: &OrderAction) -> bool {
        let order = match action {
            OrderAction::Cancel(_) => return false,
            OrderAction::New(order) | OrderAction::Replace { new: order, .. } => order,
        };
        match self.slot_mut(order.instrument, order.side) {
            Some(Some(resting)) if resting.order == *order => {
                resting.acknowledged = true;
                true
            }
            _ => false,
        }
    }

    /// Seam for the venue's refusal of `action`, which was counted as done when emitted:
    ///
    /// - a refused `New` never rested: the order is forgotten, and the next reconcile places a
    ///   fresh one under a new client id (for example after Binance refuses a post-only order that
    ///   would have crossed);
    /// - a refused `Replace` may have left the original order live (Binance keeps it when an
    ///   amendment fails its filters: "Modify Order" notes), so the order is forgotten and a
    ///   `Cancel` for it is appended to `out`; the next reconcile places a fresh one;
    /// - a refused `Cancel` changes nothing: the order was forgotten when the cancel was emitted,
    ///   and Binance refuses a cancel mostly because the order is already gone (filled, or
    ///   cancelled). Retrying on other refusals (rate limit, clock skew) is the gateway's call.
    ///
    /// A refusal for an order the manager no longer holds under that client id changes nothing.
    /// Needs room for one action in `out`.
    pub fn on_reject(&mut self, action: &OrderAction, out: &mut ActionBuffer) -> Result<(), ReconcileError> {
        if out.remaining() < 1 {
            return Err(ReconcileError::BufferFull { needed: 1, remaining: out.remaining() });
        }
        let (order, cancel_original) = match action {
            OrderAction::Cancel(_) => return Ok(()),
            OrderAction::New(order) => (order, None),
            OrderAction::Replace { old, new } => (new, Some(*old)),
        };
        if let Some(slot) = self.slot_mut(order.instrument, order.side)
            && slot.is_some_and(|resting| resting.order.client_id == order.client_id)
        {
            *slot = None;
            if let Some(original) = cancel_original {
                // Cannot fail: room was checked above.
                let _ = out.try_push(OrderAction::Cancel(original));
            }
        }
        Ok(())
    }

    /// Seam for an execution of `qty` on our order `client_id`: adds it to
    /// [`filled`](RestingOrder::filled) and returns the quantity still open; a fully filled
    /// order is forgotten (`Some(Lots(0))`), so the next reconcile places a fresh one. `None` if
    /// no resting order has this id (a fill racing our cancel, say): the position is still
    /// changed, but not the manager's book. A non-positive `qty` changes nothing.
    pub fn on_fill(&mut self, client_id: ClientOrderId, qty: Lots) -> Option<Lots> {
        let slot = self
            .book
            .iter_mut()
            .flat_map(|sides| sides.iter_mut())
            .find(|slot| slot.is_some_and(|resting| resting.order.client_id == client_id))?;
        let resting = slot.as_mut()?;
        if qty.get() > 0 {
            resting.filled = Lots(resting.filled.get().saturating_add(qty.get()));
        }
        let open = resting.open_qty();
        if open.get() <= 0 {
            *slot = None;
            return Some(Lots::ZERO);
        }
        Some(open)
    }

    fn record(&mut self, result: Result<(), ReconcileError>) {
        if let Err(error) = result {
            self.errors += 1;
            self.last_error = Some(error);
        }
    }

    /// Checks room and instrument, then diffs both sides.
    fn apply<Permit: FnMut(ActionKind) -> bool>(
        &mut self,
        instrument: InstrumentId,
        desired: [Option<OrderIntent>; 2],
        out: &mut ActionBuffer,
        permit: &mut Permit,
    ) -> Result<(), ReconcileError> {
        if instrument.index() >= self.book.len() {
            return Err(ReconcileError::UnknownInstrument(instrument));
        }
        if out.remaining() < 2 {
            return Err(ReconcileError::BufferFull { needed: 2, remaining: out.remaining() });
        }
        for (side, want) in [Side::Bid, Side::Ask].into_iter().zip(desired) {
            if let Some(action) = self.diff(instrument, side, want, permit) {
                // Cannot fail: room for both sides was checked above.
                let _ = out.try_push(action);
            }
        }
        Ok(())
    }

    /// One side: the action that turns what rests into `want`, with the book updated as if it
    /// were already done; nothing (and nothing changed) when `permit` refuses the action's kind.
    fn diff<Permit: FnMut(ActionKind) -> bool>(
        &mut self,
        instrument: InstrumentId,
        side: Side,
        want: Option<OrderIntent>,
        permit: &mut Permit,
    ) -> Option<OrderAction> {
        let resting = *self.slot_mut(instrument, side)?;
        let (action, after) = match (resting, want) {
            (None, None) => return None,
            (Some(resting), None) => {
                if !permit(ActionKind::Cancel) {
                    return None;
                }
                (OrderAction::Cancel(resting.order), None)
            }
            (None, Some(want)) => {
                if !permit(ActionKind::New) {
                    return None;
                }
                let order = WorkingOrder {
                    instrument,
                    client_id: self.next_client_id(),
                    side,
                    price: want.price,
                    qty: want.qty,
                };
                (
                    OrderAction::New(order),
                    Some(RestingOrder { order, filled: Lots::ZERO, acknowledged: false }),
                )
            }
            (Some(resting), Some(want)) => {
                let moved = resting.order.price.get().abs_diff(want.price.get()) >= self.min_reprice_ticks;
                if !moved && want.qty == resting.open_qty() || !permit(ActionKind::Replace) {
                    return None;
                }
                // The venue's quantity is the order's total, so the part already filled is added
                // back: `want.qty` is what should be open after the amendment.
                let new = WorkingOrder {
                    price: want.price,
                    qty: Lots(resting.filled.get().saturating_add(want.qty.get())),
                    ..resting.order
                };
                let after = RestingOrder { order: new, filled: resting.filled, acknowledged: false };
                (OrderAction::Replace { old: resting.order, new }, Some(after))
            }
        };
        *self.slot_mut(instrument, side)? = after;
        Some(action)
    }

    fn slot_mut(&mut self, instrument: InstrumentId, side: Side) -> Option<&mut Option<RestingOrder>> {
        Some(&mut self.book.get_mut(instrument.index())?[side as usize])
    }

    /// The next client id. After 2³² − 1 orders in one session the sequence wraps to 1 (0 is
    /// never used); an order that old is long gone.
    fn next_client_id(&mut self) -> ClientOrderId {
        let id = ClientOrderId::new(self.prefix, self.next_sequence);
        self.next_sequence = self.next_sequence.checked_add(1).unwrap_or(1);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use feeds::{Bbo, Event, EventKind, Nanos, Seq};
    use risk::{MarketContext, RiskGate, RiskLimits};

    const BTC: InstrumentId = InstrumentId(0);
    const ETH: InstrumentId = InstrumentId(1);
    const PREFIX: u32 = 42;

    /// Approves through the real risk gate: one that has just seen a best bid/offer, with limits
    /// wide enough for every test and the fair value at the intent's own price.
    fn approve(instrument: InstrumentId, side: Side, price: i64, qty: i64) -> Option<Approved<OrderIntent>> {
        let limits =
            RiskLimits { max_position: Lots(1_000), max_order_qty: Lots(1_000), ..RiskLimits::default() };
        let mut gate = RiskGate::new(limits);
        let now = Nanos(1_723_161_256_299_000_000);
        let bbo = Bbo { bid: Ticks(price), bid_qty: Lots(1), ask: Ticks(price + 1), ask_qty: Lots(1) };
        gate.on_event(&Event::new(now, now, Seq(1), instrument, EventKind::Bbo(bbo)));
        let market = MarketContext { book_trusted: true, now, fair_value: price as f64, position: Lots(0) };
        let intent = OrderIntent { instrument, side, price: Ticks(price), qty: Lots(qty) };
        let approved = gate.check(intent, &market).approved();
        assert!(approved.is_some(), "the test gate refused {intent:?}");
        approved
    }

    fn bid(price: i64, qty: i64) -> Option<Approved<OrderIntent>> {
        approve(BTC, Side::Bid, price, qty)
    }

    fn ask(price: i64, qty: i64) -> Option<Approved<OrderIntent>> {
        approve(BTC, Side::Ask, price, qty)
    }

    fn order(sequence: u32, side: Side, price: i64, qty: i64) -> WorkingOrder {
        WorkingOrder {
            instrument: BTC,
            client_id: ClientOrderId::new(PREFIX, sequence),
            side,
            price: Ticks(price),
            qty: Lots(qty),
        }
    }

    /// Runs one reconcile into a fresh buffer and returns what it emitted.
    fn step(
        manager: &mut OrderManager,
        bid: Option<Approved<OrderIntent>>,
        ask: Option<Approved<OrderIntent>>,
    ) -> Vec<OrderAction> {
        let mut out = ActionBuffer::new();
        manager.try_reconcile(BTC, bid, ask, &mut out).unwrap();
        out.iter().copied().collect()
    }

    #[test]
    fn first_quotes_place_and_unchanged_quotes_do_nothing() {
        let mut manager = OrderManager::new(2, PREFIX);
        // Nothing rests: both sides are placed, bid first, with consecutive ids from 1.
        let placed = step(&mut manager, bid(618_000, 5), ask(618_010, 5));
        assert_eq!(
            placed,
            [
                OrderAction::New(order(1, Side::Bid, 618_000, 5)),
                OrderAction::New(order(2, Side::Ask, 618_010, 5))
            ]
        );
        assert_eq!(manager.resting(BTC, Side::Bid).unwrap().order, order(1, Side::Bid, 618_000, 5));
        // The same quotes again: the book already matches, nothing is sent.
        assert!(step(&mut manager, bid(618_000, 5), ask(618_010, 5)).is_empty());
        // The other instrument is untouched.
        assert_eq!(manager.resting(ETH, Side::Bid), None);
    }

    #[test]
    fn a_moved_price_replaces_in_place_keeping_the_client_id() {
        let mut manager = OrderManager::new(1, PREFIX);
        step(&mut manager, bid(618_000, 5), None);
        // One tick up on the default threshold: amended, same id (order.modify keeps it).
        let moved = step(&mut manager, bid(618_001, 5), None);
        assert_eq!(
            moved,
            [OrderAction::Replace {
                old: order(1, Side::Bid, 618_000, 5),
                new: order(1, Side::Bid, 618_001, 5)
            }]
        );
        // A new size at the same price also replaces.
        let resized = step(&mut manager, bid(618_001, 7), None);
        assert_eq!(
            resized,
            [OrderAction::Replace {
                old: order(1, Side::Bid, 618_001, 5),
                new: order(1, Side::Bid, 618_001, 7)
            }]
        );
    }

    #[test]
    fn moves_below_the_reprice_threshold_are_ignored() {
        let mut manager = OrderManager::new(1, PREFIX).with_min_reprice_ticks(Ticks(3));
        assert_eq!(manager.min_reprice_ticks(), Ticks(3));
        step(&mut manager, None, ask(618_010, 5));
        // Two ticks either way: below three, the order stays.
        assert!(step(&mut manager, None, ask(618_012, 5)).is_empty());
        assert!(step(&mut manager, None, ask(618_008, 5)).is_empty());
        // Three ticks down from where it rests: replaced.
        let moved = step(&mut manager, None, ask(618_007, 5));
        assert_eq!(
            moved,
            [OrderAction::Replace {
                old: order(1, Side::Ask, 618_010, 5),
                new: order(1, Side::Ask, 618_007, 5)
            }]
        );
        // A size change under the threshold replaces too, and takes the latest approved price.
        let resized = step(&mut manager, None, ask(618_008, 6));
        assert_eq!(
            resized,
            [OrderAction::Replace {
                old: order(1, Side::Ask, 618_007, 5),
                new: order(1, Side::Ask, 618_008, 6)
            }]
        );
    }

    #[test]
    #[should_panic(expected = "must be at least one tick")]
    fn a_zero_reprice_threshold_is_a_construction_bug() {
        let _ = OrderManager::new(1, PREFIX).with_min_reprice_ticks(Ticks(0));
    }

    #[test]
    fn withdrawn_quotes_cancel_and_cancel_all_clears_both_sides() {
        let mut manager = OrderManager::new(1, PREFIX);
        step(&mut manager, bid(618_000, 5), ask(618_010, 5));
        // The bid is withdrawn: cancelled; the ask stays.
        assert_eq!(
            step(&mut manager, None, ask(618_010, 5)),
            [OrderAction::Cancel(order(1, Side::Bid, 618_000, 5))]
        );
        assert_eq!(manager.resting(BTC, Side::Bid), None);
        // Quoting the bid again places a fresh order with the next id.
        assert_eq!(
            step(&mut manager, bid(618_000, 5), ask(618_010, 5)),
            [OrderAction::New(order(3, Side::Bid, 618_000, 5))]
        );
        let mut out = ActionBuffer::new();
        manager.try_cancel_all(BTC, &mut out).unwrap();
        let cancelled: Vec<_> = out.iter().copied().collect();
        assert_eq!(
            cancelled,
            [
                OrderAction::Cancel(order(3, Side::Bid, 618_000, 5)),
                OrderAction::Cancel(order(2, Side::Ask, 618_010, 5))
            ]
        );
        // Nothing left: a second cancel_all emits nothing.
        out.clear();
        manager.cancel_all(BTC, &mut out);
        assert!(out.is_empty());
        assert_eq!(manager.error_count(), 0);
    }

    #[test]
    fn client_ids_increase_and_runs_are_deterministic() {
        let script = |manager: &mut OrderManager| {
            let mut all = Vec::new();
            for round in 0..50_i64 {
                // Quote, requote, withdraw in a fixed pattern.
                let bid_quote = if round % 7 == 3 { None } else { bid(618_000 + round % 4, 5) };
                let ask_quote = if round % 5 == 1 { None } else { ask(618_010 + round % 3, 5 + round % 2) };
                all.extend(step(manager, bid_quote, ask_quote));
            }
            all
        };
        let first = script(&mut OrderManager::new(1, PREFIX));
        let second = script(&mut OrderManager::new(1, PREFIX));
        assert_eq!(first, second);
        let placed: Vec<u64> =
            first.iter().filter(|a| matches!(a, OrderAction::New(_))).map(|a| a.client_id().0).collect();
        assert!(placed.windows(2).all(|pair| pair[0] < pair[1]), "{placed:?}");
        assert!(first.iter().all(|a| a.client_id().prefix() == PREFIX));
    }

    #[test]
    fn the_sequence_wraps_past_zero() {
        let mut manager = OrderManager::new(1, PREFIX);
        manager.next_sequence = u32::MAX;
        assert_eq!(manager.next_client_id().sequence(), u32::MAX);
        assert_eq!(manager.next_client_id().sequence(), 1);
    }

    #[test]
    fn bad_calls_are_errors_and_change_nothing() {
        let mut manager = OrderManager::new(1, PREFIX);
        step(&mut manager, bid(618_000, 5), None);
        let before = manager.clone();
        let mut out = ActionBuffer::new();
        // Instrument 1 is beyond a table of one.
        assert_eq!(
            manager.try_reconcile(ETH, None, None, &mut out),
            Err(ReconcileError::UnknownInstrument(ETH))
        );
        assert_eq!(manager.try_cancel_all(ETH, &mut out), Err(ReconcileError::UnknownInstrument(ETH)));
        // An ask intent passed as the bid, and an intent for another instrument.
        assert_eq!(
            manager.try_reconcile(BTC, ask(618_010, 5), None, &mut out),
            Err(ReconcileError::Misrouted { instrument: BTC, side: Side::Bid })
        );
        assert_eq!(
            manager.try_reconcile(BTC, None, approve(ETH, Side::Ask, 30_000, 1), &mut out),
            Err(ReconcileError::Misrouted { instrument: BTC, side: Side::Ask })
        );
        // A buffer with one slot left: the worst case needs two, so nothing is done (the bid
        // would have been cancelled and left untracked had the cancel not fit).
        for _ in 0..ActionBuffer::CAPACITY - 1 {
            out.try_push(OrderAction::Cancel(order(99, Side::Ask, 1, 1))).unwrap();
        }
        assert_eq!(
            manager.try_reconcile(BTC, None, None, &mut out),
            Err(ReconcileError::BufferFull { needed: 2, remaining: 1 })
        );
        assert_eq!(out.len(), ActionBuffer::CAPACITY - 1);
        assert_eq!(manager.book, before.book);
        assert_eq!(manager.next_sequence, before.next_sequence);
        // The unchecked forms do the same and count: three failed calls, the latest remembered.
        manager.reconcile(ETH, None, None, &mut out);
        manager.reconcile(BTC, ask(618_010, 5), None, &mut out);
        manager.cancel_all(BTC, &mut out);
        assert_eq!(manager.error_count(), 3);
        assert_eq!(manager.last_error(), Some(ReconcileError::BufferFull { needed: 2, remaining: 1 }));
        assert_eq!(manager.book, before.book);
    }

    #[test]
    fn acks_mark_only_the_order_as_last_sent() {
        let mut manager = OrderManager::new(1, PREFIX);
        let placed = step(&mut manager, bid(618_000, 5), None)[0];
        let amended = step(&mut manager, bid(618_001, 5), None)[0];
        // The ack of the placement arrives after the amendment was sent: it is stale.
        assert!(!manager.on_ack(&placed));
        assert!(!manager.resting(BTC, Side::Bid).unwrap().acknowledged);
        // The amendment's ack confirms what rests.
        assert!(manager.on_ack(&amended));
        assert!(manager.resting(BTC, Side::Bid).unwrap().acknowledged);
        // The next amendment is unconfirmed again until its own ack.
        step(&mut manager, bid(618_002, 5), None);
        assert!(!manager.resting(BTC, Side::Bid).unwrap().acknowledged);
        // Acks of cancels change nothing.
        let cancel = step(&mut manager, None, None)[0];
        assert!(!manager.on_ack(&cancel));
    }

    #[test]
    fn a_rejected_new_is_forgotten_and_replaced_by_a_fresh_order() {
        let mut manager = OrderManager::new(1, PREFIX);
        let placed = step(&mut manager, bid(618_000, 5), None)[0];
        let mut out = ActionBuffer::new();
        // E.g. post-only refused because it would have crossed.
        manager.on_reject(&placed, &mut out).unwrap();
        assert!(out.is_empty());
        assert_eq!(manager.resting(BTC, Side::Bid), None);
        // The next frame places again, under a new id.
        assert_eq!(
            step(&mut manager, bid(617_999, 5), None),
            [OrderAction::New(order(2, Side::Bid, 617_999, 5))]
        );
        // A late refusal about the old id changes nothing now.
        manager.on_reject(&placed, &mut out).unwrap();
        assert_eq!(manager.resting(BTC, Side::Bid).unwrap().order.client_id, ClientOrderId::new(PREFIX, 2));
    }

    #[test]
    fn a_rejected_replace_cancels_the_original_and_a_rejected_cancel_is_final() {
        let mut manager = OrderManager::new(1, PREFIX);
        step(&mut manager, None, ask(618_010, 5));
        let amended = step(&mut manager, None, ask(618_011, 5))[0];
        let mut out = ActionBuffer::new();
        // The amendment failed; the original may still rest at 618_010: cancel it, forget it.
        manager.on_reject(&amended, &mut out).unwrap();
        assert_eq!(
            out.iter().copied().collect::<Vec<_>>(),
            [OrderAction::Cancel(order(1, Side::Ask, 618_010, 5))]
        );
        assert_eq!(manager.resting(BTC, Side::Ask), None);
        // That cancel is refused too (the order was gone already): nothing more to do.
        let cancel = *out.get(0).unwrap();
        out.clear();
        manager.on_reject(&cancel, &mut out).unwrap();
        assert!(out.is_empty());
        // A full buffer is refused up front.
        let mut full = ActionBuffer::new();
        for _ in 0..ActionBuffer::CAPACITY {
            full.try_push(cancel).unwrap();
        }
        assert_eq!(
            manager.on_reject(&amended, &mut full),
            Err(ReconcileError::BufferFull { needed: 1, remaining: 0 })
        );
    }

    #[test]
    fn fills_reduce_the_open_size_and_a_full_fill_frees_the_side() {
        let mut manager = OrderManager::new(1, PREFIX);
        let id = step(&mut manager, bid(618_000, 5), None)[0].client_id();
        // 2 of 5 filled: 3 open.
        assert_eq!(manager.on_fill(id, Lots(2)), Some(Lots(3)));
        assert_eq!(manager.resting(BTC, Side::Bid).unwrap().open_qty(), Lots(3));
        // The strategy still wants 5 open: the order is amended to a total of 2 filled + 5.
        assert_eq!(
            step(&mut manager, bid(618_000, 5), None),
            [OrderAction::Replace {
                old: order(1, Side::Bid, 618_000, 5),
                new: order(1, Side::Bid, 618_000, 7)
            }]
        );
        // Wanting 5 open again is now a no-op.
        assert!(step(&mut manager, bid(618_000, 5), None).is_empty());
        // The rest fills: the side is free, and the next frame places a fresh order.
        assert_eq!(manager.on_fill(id, Lots(5)), Some(Lots(0)));
        assert_eq!(manager.resting(BTC, Side::Bid), None);
        assert_eq!(
            step(&mut manager, bid(618_000, 5), None),
            [OrderAction::New(order(2, Side::Bid, 618_000, 5))]
        );
        // Fills on unknown ids (a fill racing our cancel) and empty fills change nothing.
        assert_eq!(manager.on_fill(id, Lots(1)), None);
        assert_eq!(manager.on_fill(ClientOrderId::new(PREFIX, 2), Lots(0)), Some(Lots(5)));
    }
}
