//! RFC 6455 §5 framing, both directions, without allocation.
//!
//! - [`parse_header`] reads a frame header from the front of a byte slice (server → client).
//! - [`write_client_frame`] appends a masked client frame to a reused buffer (client → server;
//!   §5.3: "The client MUST mask all frames that it sends to the server").
//!
//! Why not tungstenite's frame layer: its `Message` hands each payload out as a `Bytes`
//! (shared, immutable), so a consumer that decodes in place would need a copy, and its read
//! buffer is shared with the payloads it lends. Here a payload is a mutable slice of our own
//! read buffer. tungstenite still does the HTTP upgrade (see [`client`](super::client)).

use super::error::WsError;

/// Opcodes of RFC 6455 §5.2 ("%x0 denotes a continuation frame", …).
pub(crate) mod opcode {
    /// `%x0`: continuation of a fragmented message.
    pub const CONTINUATION: u8 = 0x0;
    /// `%x1`: text frame.
    pub const TEXT: u8 = 0x1;
    /// `%x2`: binary frame.
    pub const BINARY: u8 = 0x2;
    /// `%x8`: connection close.
    pub const CLOSE: u8 = 0x8;
    /// `%x9`: ping.
    pub const PING: u8 = 0x9;
    /// `%xA`: pong.
    pub const PONG: u8 = 0xA;
}

/// One parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    /// FIN: the last fragment of its message.
    pub fin: bool,
    /// One of [`opcode`]'s values (others are rejected by the parser).
    pub opcode: u8,
    /// The masking key, if the frame is masked (servers must not mask, §5.1; we unmask anyway).
    pub mask: Option<[u8; 4]>,
    /// Bytes of header before the payload: 2 to 14.
    pub header_len: usize,
    /// Payload length in bytes.
    pub payload_len: u64,
}

/// Parses the header at the front of `bytes`. `Ok(None)` when more bytes are needed.
pub(crate) fn parse_header(bytes: &[u8]) -> Result<Option<FrameHeader>, WsError> {
    let [first, second, ..] = *bytes else { return Ok(None) };
    let fin = first & 0x80 != 0;
    // §5.2 RSV1-3: "MUST be 0 unless an extension is negotiated"; we negotiate none.
    if first & 0x70 != 0 {
        return Err(WsError::Protocol("reserved bits set without an extension"));
    }
    let opcode = first & 0x0F;
    let control = opcode & 0x08 != 0;
    match opcode {
        opcode::CONTINUATION
        | opcode::TEXT
        | opcode::BINARY
        | opcode::CLOSE
        | opcode::PING
        | opcode::PONG => {}
        _ => return Err(WsError::Protocol("reserved opcode")),
    }
    let masked = second & 0x80 != 0;
    let length7 = second & 0x7F;
    // §5.2 Payload length: 0-125 is the length; 126: a 16-bit length follows; 127: 64-bit.
    let (payload_len, mut header_len) = match length7 {
        126 => {
            let Some(extended) = bytes.get(2..4) else { return Ok(None) };
            (u64::from(u16::from_be_bytes([extended[0], extended[1]])), 4)
        }
        127 => {
            let Some(extended) = bytes.get(2..10) else { return Ok(None) };
            let mut length = [0; 8];
            length.copy_from_slice(extended);
            let length = u64::from_be_bytes(length);
            // "the most significant bit MUST be 0"
            if length >> 63 != 0 {
                return Err(WsError::Protocol("64-bit payload length with the top bit set"));
            }
            (length, 10)
        }
        short => (u64::from(short), 2),
    };
    // §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be
    // fragmented."
    if control && (payload_len > 125 || !fin) {
        return Err(WsError::Protocol("control frame fragmented or longer than 125 bytes"));
    }
    let mask = if masked {
        let Some(key) = bytes.get(header_len..header_len + 4) else { return Ok(None) };
        header_len += 4;
        Some([key[0], key[1], key[2], key[3]])
    } else {
        None
    };
    Ok(Some(FrameHeader { fin, opcode, mask, header_len, payload_len }))
}

/// XORs `payload` with the masking key (§5.3: octet i with key octet i mod 4). Its own inverse.
pub(crate) fn apply_mask(payload: &mut [u8], key: [u8; 4]) {
    let word = u32::from_ne_bytes(key);
    let mut chunks = payload.chunks_exact_mut(4);
    for chunk in &mut chunks {
        let mut bytes = [0; 4];
        bytes.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u32::from_ne_bytes(bytes) ^ word).to_ne_bytes());
    }
    for (byte, key) in chunks.into_remainder().iter_mut().zip(key) {
        *byte ^= key;
    }
}

/// Appends one final, masked client frame (`opcode`, `payload`) to `out`. Allocates only if
/// `out` lacks capacity.
pub(crate) fn write_client_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8], key: [u8; 4]) {
    out.push(0x80 | opcode);
    let length = payload.len();
    if length < 126 {
        out.push(0x80 | length as u8);
    } else if let Ok(length) = u16::try_from(length) {
        out.push(0x80 | 126);
        out.extend_from_slice(&length.to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(length as u64).to_be_bytes());
    }
    out.extend_from_slice(&key);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], key);
}

#[cfg(test)]
mod tests {
    use super::*;

    // The examples of RFC 6455 §5.7, byte for byte.
    #[test]
    fn rfc_6455_section_5_7_examples() {
        // TC0: "A single-frame unmasked text message": 0x81 0x05 "Hello".
        let frame = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let header = parse_header(&frame).unwrap().unwrap();
        assert_eq!(
            header,
            FrameHeader { fin: true, opcode: opcode::TEXT, mask: None, header_len: 2, payload_len: 5 }
        );
        // TC1: "A single-frame masked text message".
        let mut frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        let header = parse_header(&frame).unwrap().unwrap();
        assert_eq!((header.mask, header.header_len), (Some([0x37, 0xfa, 0x21, 0x3d]), 6));
        apply_mask(&mut frame[6..], [0x37, 0xfa, 0x21, 0x3d]);
        assert_eq!(&frame[6..], b"Hello");
        // TC2: our writer produces the same bytes for the same key.
        let mut out = Vec::new();
        write_client_frame(&mut out, opcode::TEXT, b"Hello", [0x37, 0xfa, 0x21, 0x3d]);
        assert_eq!(out, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
        // TC3: "A fragmented unmasked text message": first fragment has FIN clear.
        let header = parse_header(&[0x01, 0x03, 0x48, 0x65, 0x6c]).unwrap().unwrap();
        assert!(!header.fin);
        // TC4: "256 bytes binary message in a single unmasked frame": 0x82 0x7E 0x0100.
        let header = parse_header(&[0x82, 0x7E, 0x01, 0x00]).unwrap().unwrap();
        assert_eq!((header.opcode, header.payload_len, header.header_len), (opcode::BINARY, 256, 4));
        // TC5: "64KiB binary message": 0x82 0x7F 0x0000000000010000.
        let header = parse_header(&[0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]).unwrap().unwrap();
        assert_eq!((header.payload_len, header.header_len), (65536, 10));
    }

    #[test]
    fn incomplete_and_invalid_headers() {
        assert_eq!(parse_header(&[0x81]).unwrap(), None);
        assert_eq!(parse_header(&[0x82, 0x7E, 0x01]).unwrap(), None);
        assert_eq!(parse_header(&[0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2]).unwrap(), None);
        assert!(parse_header(&[0xC1, 0x00]).is_err(), "RSV1 without extension");
        assert!(parse_header(&[0x83, 0x00]).is_err(), "reserved opcode");
        assert!(parse_header(&[0x09, 0x00]).is_err(), "fragmented ping");
        assert!(parse_header(&[0x89, 0x7E, 0x00, 0x7E]).is_err(), "long ping");
    }

    #[test]
    fn writer_length_encodings_round_trip() {
        for length in [0, 125, 126, 65535, 65536] {
            let payload = vec![7u8; length];
            let mut out = Vec::new();
            write_client_frame(&mut out, opcode::BINARY, &payload, [1, 2, 3, 4]);
            let header = parse_header(&out).unwrap().unwrap();
            assert_eq!(header.payload_len, length as u64);
            let body = &mut out[header.header_len..];
            apply_mask(body, [1, 2, 3, 4]);
            assert_eq!(body, &payload[..]);
        }
    }
}
