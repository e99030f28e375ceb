//! An HTTP/1.x response read to its end: the status and the body by its framing (plain,
//! `Content-Length` or `Transfer-Encoding: chunked`, trailers ignored).
//!
//! Shared by the REST lanes (`lanes`) and the engine's control client, the two small HTTP/1.1
//! clients of the project (one GET per request, `Connection: close`); see `lanes`'s `http`
//! module for why no HTTP client crate.

/// A response: status and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

/// Splits `raw` (everything read from the connection) into status and body; the error says
/// what is malformed.
pub fn parse(raw: &[u8]) -> Result<HttpResponse, &'static str> {
    let end = raw.windows(4).position(|window| window == b"\r\n\r\n").ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "headers are not UTF-8")?;
    let body = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("no status line")?;
    let mut parts = status_line.split(' ');
    if !parts.next().is_some_and(|version| version.starts_with("HTTP/1.")) {
        return Err("no HTTP/1.x status line");
    }
    let status: u16 = parts.next().and_then(|code| code.parse().ok()).ok_or("no status code")?;
    let (mut chunked, mut length) = (false, None);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        } else if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| "bad Content-Length")?);
        }
    }
    let body = if chunked {
        dechunk(body)?
    } else if let Some(length) = length {
        body.get(..length).ok_or("body shorter than Content-Length")?.to_vec()
    } else {
        body.to_vec()
    };
    Ok(HttpResponse { status, body })
}

/// Decodes a chunked body (RFC 9112 §7.1): hex size lines, extensions ignored, up to the
/// zero-size chunk.
fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut body = Vec::with_capacity(data.len());
    loop {
        let line_end = data.windows(2).position(|window| window == b"\r\n").ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&data[..line_end]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(data.get(..size).ok_or("truncated chunk")?);
        data = data.get(size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_by_their_framing() {
        let plain = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}xx").unwrap();
        assert_eq!((plain.status, plain.body.as_slice()), (200, &b"{}"[..]));
        let chunked =
            parse(b"HTTP/1.1 429 Too Many\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n2;x=1\r\n\"}\r\n0\r\n\r\n").unwrap();
        assert_eq!((chunked.status, chunked.body.as_slice()), (429, &b"{\"a\"}"[..]));
        let chunked = parse(
            b"HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((chunked.status, chunked.body.as_slice()), (409, &b"abcde"[..]));
        assert!(parse(b"garbage").is_err());
        assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n{}").is_err());
        assert!(parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err());
    }
}
