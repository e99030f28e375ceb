//! The Binance order encoder end to end: the instrument config the engine ships, whole messages
//! parsed back with serde_json, every signature recomputed here from the parsed params with the
//! `hmac` crate directly, and no allocation once warm.
//!
//! Message formats: Binance USD-M Futures documentation, "WebSocket API General Info" and the
//! WebSocket API methods "New Order (TRADE)" (`order.place`), "Modify Order (TRADE)"
//! (`order.modify`) and "Cancel Order (TRADE)" (`order.cancel`).

use engine::order::{
    ActionBuffer, BinanceOrderEncoder, ClientOrderId, EncodeError, OrderAction, WorkingOrder,
};
use feeds::{InstrumentId, Instruments, Lots, Side, Ticks};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

/// The example key pair Binance publishes in "SIGNED Endpoint Examples for POST /fapi/v1/order"
/// (USD-M Futures, General Info): documentation keys, not an account.
const API_KEY: &str = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
const SECRET: &str = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

/// A real exchange time: 2024-08-08 23:54:16.299 UTC.
const TIMESTAMP_MS: i64 = 1_723_161_256_299;

fn instruments() -> Instruments {
    Instruments::from_toml(include_str!("../../configs/instruments.toml")).expect("configs/instruments.toml")
}

fn encoder() -> BinanceOrderEncoder {
    BinanceOrderEncoder::new(API_KEY, SECRET.as_bytes(), &instruments()).expect("encoder")
}

fn instrument(symbol: &str) -> InstrumentId {
    instruments().find("binance-usdm", symbol).expect(symbol)
}

fn order(symbol: &str, sequence: u32, side: Side, price: i64, qty: i64) -> WorkingOrder {
    WorkingOrder {
        instrument: instrument(symbol),
        client_id: ClientOrderId::new(42, sequence),
        side,
        price: Ticks(price),
        qty: Lots(qty),
    }
}

/// Lowercase hex HMAC-SHA256 of `payload` under Binance's example secret, computed here.
fn reference_signature(payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn sign_query_matches_binances_published_example() {
    // "SIGNED Endpoint Examples for POST /fapi/v1/order": this query string and key pair give
    // this signature (also checked with Python's hmac module).
    let query = b"symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943";
    let signature = encoder().sign_query(query);
    assert_eq!(&signature, b"3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9");
}

#[test]
fn order_place_is_byte_exact() {
    // The whole message, signature included. The signature was computed independently with
    // Python, hmac.new(SECRET, payload, hashlib.sha256).hexdigest(), over the payload
    // "apiKey=dbef…cc83&newClientOrderId=hc0000000042-0000000007&positionSide=BOTH&price=61800.3&
    // quantity=0.005&side=BUY&symbol=BTCUSDT&timeInForce=GTX&timestamp=1723161256299&type=LIMIT".
    let new = OrderAction::New(order("BTCUSDT", 7, Side::Bid, 618_003, 5));
    let mut encoder = encoder();
    let message = std::str::from_utf8(encoder.encode(&new, 1, TIMESTAMP_MS).unwrap()).unwrap();
    assert_eq!(
        message,
        concat!(
            r#"{"id":"1","method":"order.place","params":{"#,
            r#""apiKey":"dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83","#,
            r#""newClientOrderId":"hc0000000042-0000000007","positionSide":"BOTH","price":"61800.3","#,
            r#""quantity":"0.005","side":"BUY","symbol":"BTCUSDT","timeInForce":"GTX","#,
            r#""timestamp":1723161256299,"type":"LIMIT","#,
            r#""signature":"fd9a0e0f786d0ede50b85447b5eb612658b6fc59c447b474d7fac2cb01666f93"}}"#
        )
    );
}

/// One expected param value: a JSON string (DECIMAL, STRING, ENUM) or a JSON integer (INT).
#[derive(Clone, Copy, Debug)]
enum Param {
    Text(&'static str),
    Int(i64),
}

struct TestCase {
    action: OrderAction,
    request_id: u64,
    method: &'static str,
    /// Every param except `signature`, in the order expected on the wire (sorted by name).
    params: &'static [(&'static str, Param)],
}

fn cases() -> Vec<TestCase> {
    use Param::{Int, Text};
    let btc_bid = order("BTCUSDT", 7, Side::Bid, 618_003, 5);
    let btc_bid_moved = WorkingOrder { price: Ticks(618_004), qty: Lots(7), ..btc_bid };
    let akro_ask = order("AKROUSDT", 8, Side::Ask, 1_234, 150);
    vec![
        // TC0: a BTCUSDT bid, tick 0.10 and lot 0.001: 618003 ticks, 5 lots.
        TestCase {
            action: OrderAction::New(btc_bid),
            request_id: 1,
            method: "order.place",
            params: &[
                ("apiKey", Text(API_KEY)),
                ("newClientOrderId", Text("hc0000000042-0000000007")),
                ("positionSide", Text("BOTH")),
                ("price", Text("61800.3")),
                ("quantity", Text("0.005")),
                ("side", Text("BUY")),
                ("symbol", Text("BTCUSDT")),
                ("timeInForce", Text("GTX")),
                ("timestamp", Int(TIMESTAMP_MS)),
                ("type", Text("LIMIT")),
            ],
        },
        // TC1: that bid amended one tick up and to 7 lots, by its client id.
        TestCase {
            action: OrderAction::Replace { old: btc_bid, new: btc_bid_moved },
            request_id: 2,
            method: "order.modify",
            params: &[
                ("apiKey", Text(API_KEY)),
                ("origClientOrderId", Text("hc0000000042-0000000007")),
                ("price", Text("61800.4")),
                ("quantity", Text("0.007")),
                ("side", Text("BUY")),
                ("symbol", Text("BTCUSDT")),
                ("timestamp", Int(TIMESTAMP_MS)),
            ],
        },
        // TC2: an AKROUSDT ask, tick 0.00001 and lot 1: a sub-cent price, whole lots.
        TestCase {
            action: OrderAction::New(akro_ask),
            request_id: 3,
            method: "order.place",
            params: &[
                ("apiKey", Text(API_KEY)),
                ("newClientOrderId", Text("hc0000000042-0000000008")),
                ("positionSide", Text("BOTH")),
                ("price", Text("0.01234")),
                ("quantity", Text("150")),
                ("side", Text("SELL")),
                ("symbol", Text("AKROUSDT")),
                ("timeInForce", Text("GTX")),
                ("timestamp", Int(TIMESTAMP_MS)),
                ("type", Text("LIMIT")),
            ],
        },
        // TC3: that ask cancelled.
        TestCase {
            action: OrderAction::Cancel(akro_ask),
            request_id: u64::MAX,
            method: "order.cancel",
            params: &[
                ("apiKey", Text(API_KEY)),
                ("origClientOrderId", Text("hc0000000042-0000000008")),
                ("symbol", Text("AKROUSDT")),
                ("timestamp", Int(TIMESTAMP_MS)),
            ],
        },
    ]
}

#[test]
fn every_method_carries_the_documented_params_and_a_valid_signature() {
    let mut encoder = encoder();
    for (index, case) in cases().iter().enumerate() {
        let label = format!("TC{index} {}", case.method);
        let bytes = encoder.encode(&case.action, case.request_id, TIMESTAMP_MS).unwrap();
        let text = std::str::from_utf8(bytes).unwrap().to_owned();
        let message: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{label}: {e}: {text}"));

        // The envelope: "id" (a string here), "method", "params", nothing else.
        let envelope = message.as_object().unwrap();
        assert_eq!(envelope.len(), 3, "{label}: {text}");
        assert_eq!(message["id"], Value::String(case.request_id.to_string()), "{label}");
        assert_eq!(message["method"], case.method, "{label}");

        // Every documented param, with its JSON type: DECIMAL and ENUM as strings, INT as a number.
        let params = message["params"].as_object().unwrap();
        assert_eq!(params.len(), case.params.len() + 1, "{label}: {text}");
        for &(name, expected) in case.params {
            let value = &params[name];
            match expected {
                Param::Text(expected) => assert_eq!(value.as_str(), Some(expected), "{label}: {name}"),
                Param::Int(expected) => assert_eq!(value.as_i64(), Some(expected), "{label}: {name}"),
            }
        }

        // On the wire the params come sorted by name, then the signature, as in Binance's examples.
        let positions: Vec<usize> =
            case.params.iter().map(|(name, _)| text.find(&format!("\"{name}\":")).unwrap()).collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{label}: {text}");
        assert!(
            text.ends_with("\"}}") && text.rfind("\"signature\":").unwrap() > positions[positions.len() - 1]
        );

        // The signature: HMAC-SHA256 of every param but `signature`, sorted by name, as
        // `name=value&…`, recomputed here from the parsed message.
        let mut names: Vec<&String> = params.keys().filter(|name| *name != "signature").collect();
        names.sort();
        let payload: Vec<String> = names
            .iter()
            .map(|name| match &params[name.as_str()] {
                Value::String(value) => format!("{name}={value}"),
                other => format!("{name}={other}"),
            })
            .collect();
        let payload = payload.join("&");
        let signature = params["signature"].as_str().unwrap();
        assert_eq!(signature.len(), 64, "{label}");
        assert_eq!(signature, reference_signature(&payload), "{label}: {payload}");
    }
}

#[test]
fn bad_orders_are_errors_not_panics() {
    let mut encoder = encoder();
    let btc = order("BTCUSDT", 1, Side::Bid, 618_003, 5);
    let unknown = WorkingOrder { instrument: InstrumentId(99), ..btc };
    assert_eq!(
        encoder.encode(&OrderAction::Cancel(unknown), 1, TIMESTAMP_MS),
        Err(EncodeError::UnknownInstrument(InstrumentId(99)))
    );
    let free = WorkingOrder { price: Ticks(-1), ..btc };
    assert_eq!(
        encoder.encode(&OrderAction::New(free), 1, TIMESTAMP_MS),
        Err(EncodeError::OutOfRange { field: "price", count: -1 })
    );
    let tiny = BinanceOrderEncoder::with_buffer_capacity(API_KEY, SECRET.as_bytes(), &instruments(), 100);
    assert_eq!(
        tiny.unwrap().encode(&OrderAction::New(btc), 1, TIMESTAMP_MS),
        Err(EncodeError::BufferTooSmall { capacity: 100 })
    );
    // A good order still encodes after errors: nothing is left half-written.
    assert!(encoder.encode(&OrderAction::New(btc), 2, TIMESTAMP_MS).is_ok());
}

#[test]
fn encode_of_a_new_completes() {
    // A quick sanity run, no timing: ten thousand placements across the BTCUSDT grid, each a
    // complete message with its own signature.
    let mut encoder = encoder();
    let mut last_signature = [0; 64];
    for step in 0..10_000_i64 {
        let new =
            OrderAction::New(order("BTCUSDT", step as u32 + 1, Side::Ask, 618_000 + step, 1 + step % 9));
        let message = encoder.encode(&new, step as u64, TIMESTAMP_MS + step).unwrap();
        assert!(message.starts_with(b"{\"id\":\"") && message.ends_with(b"\"}}"));
        let signature: [u8; 64] = message[message.len() - 67..message.len() - 3].try_into().unwrap();
        assert_ne!(signature, last_signature);
        last_signature = signature;
    }
}

#[test]
fn encoding_after_warm_up_does_not_allocate() {
    let mut encoder = encoder();
    let btc = order("BTCUSDT", 1, Side::Bid, 618_003, 5);
    let akro = order("AKROUSDT", 2, Side::Ask, 1_234, 150);
    let actions = [
        OrderAction::New(btc),
        OrderAction::Replace { old: btc, new: WorkingOrder { price: Ticks(618_004), ..btc } },
        OrderAction::Cancel(btc),
        OrderAction::New(akro),
        OrderAction::Cancel(akro),
    ];
    // Warm-up: one of each.
    for action in &actions {
        encoder.encode(action, 0, TIMESTAMP_MS).unwrap();
    }
    let mut bytes = 0;
    let mut buffer = ActionBuffer::new();
    let allocations = count_allocations(|| {
        for round in 0..1_000_u64 {
            buffer.clear();
            for action in &actions {
                buffer.try_push(*action).unwrap();
            }
            for action in &buffer {
                bytes += encoder.encode(action, round, TIMESTAMP_MS + round as i64).unwrap().len();
            }
            bytes += encoder.sign_query(b"symbol=BTCUSDT&timestamp=1723161256299")[0] as usize;
            bytes += ClientOrderId::new(42, round as u32).to_text().len();
        }
    });
    assert!(bytes > 0);
    assert_eq!(allocations, 0, "encoding allocated after warm-up");
    // The counter is live: an allocation on this thread is seen.
    assert!(count_allocations(|| drop(std::hint::black_box(vec![0_u8; 16]))) >= 1);
}

/// Runs `work`; returns how many allocations this thread made meanwhile.
fn count_allocations(work: impl FnOnce()) -> u64 {
    let before = testkit::thread_allocations();
    work();
    testkit::thread_allocations() - before
}

#[global_allocator]
static ALLOCATOR: testkit::CountingAllocator = testkit::CountingAllocator;
