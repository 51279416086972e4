//! What an uploaded file really is, and whether it may be shown inline.
//!
//! A multipart part's declared type is the client's word: HTML declared as `image/png` would be
//! served inline from the API's origin. So the type comes from the file's first bytes, and only
//! types that cannot carry script are ever served inline (README, "Security").

/// Bytes of a file's beginning that `real_content_type` looks at.
pub const SNIFF_BYTES: usize = 8192;

/// The file's type as its bytes say (magic numbers), else what the client declared, except that
/// a declared media or markup type the bytes do not confirm becomes `application/octet-stream`.
pub fn real_content_type(declared: &str, head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_string();
    }
    let declared = declared.trim().to_ascii_lowercase();
    let top = declared.split('/').next().unwrap_or_default();
    let claims_media = matches!(top, "image" | "audio" | "video");
    let claims_markup = ["html", "xml", "svg", "javascript", "ecmascript", "xhtml"].iter().any(|m| declared.contains(m));
    if declared.is_empty() || claims_media || claims_markup || !declared.contains('/') {
        "application/octet-stream".into()
    } else {
        declared
    }
}

/// Types served inline: pictures, sound and video that cannot run script. Everything else (SVG,
/// HTML, XML, PDF, unknown) is served as a download.
pub fn serves_inline(content_type: &str) -> bool {
    let t = content_type.trim().to_ascii_lowercase();
    const IMAGES: [&str; 7] = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif", "image/heif"];
    IMAGES.contains(&t.as_str()) || ((t.starts_with("audio/") || t.starts_with("video/")) && !t.contains("xml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R'];

    #[test]
    fn the_bytes_decide_not_the_declaration() {
        assert_eq!(real_content_type("application/octet-stream", PNG), "image/png");
        assert_eq!(real_content_type("image/png", b"<html><script>alert(1)</script></html>"), "text/html");
        assert_eq!(real_content_type("image/png", b"<script>alert(1)</script>"), "text/html");
        assert_eq!(real_content_type("image/png", b"alert(document.cookie)"), "application/octet-stream");
        assert_eq!(real_content_type("image/svg+xml", b"<svg onload=alert(1)>"), "application/octet-stream");
        assert_eq!(real_content_type("text/plain", b"just words"), "text/plain");
        assert_eq!(real_content_type("", b"just words"), "application/octet-stream");
    }

    #[test]
    fn only_script_free_types_are_inline() {
        assert!(serves_inline("image/png"));
        assert!(serves_inline("video/mp4"));
        assert!(serves_inline("audio/ogg"));
        for download in ["image/svg+xml", "text/html", "application/xml", "text/xml", "application/pdf", "application/octet-stream"] {
            assert!(!serves_inline(download), "{download}");
        }
    }
}
