//! The client's address: the connection's peer, or what `X-Forwarded-For` says when the peer is
//! one of `TRUSTED_PROXIES` (otherwise anyone could name any address and dodge the limits).

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The address sign-in throttling and rate limits count against.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return Some(peer);
    }
    // Proxies append; the rightmost address that is not one of ours is the client.
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .collect();
    Some(forwarded.into_iter().rev().find(|ip| !trusted.iter().any(|net| net.contains(ip))).unwrap_or(peer))
}

/// `TRUSTED_PROXIES`: addresses or networks, comma-separated ("10.0.0.0/8, 127.0.0.1").
pub fn parse_trusted(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>().or_else(|_| s.parse::<IpAddr>().map(IpNet::from)).map_err(|_| format!("'{s}' is not an address or network"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let trusted = parse_trusted("127.0.0.1, 10.0.0.0/8").unwrap();
        let via_proxy = TestRequest::default()
            .peer_addr("10.1.1.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.2.2.2"))
            .to_http_request();
        assert_eq!(client_ip(&via_proxy, &trusted), Some("203.0.113.9".parse().unwrap()));
        let direct = TestRequest::default()
            .peer_addr("198.51.100.7:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "203.0.113.9"))
            .to_http_request();
        assert_eq!(client_ip(&direct, &trusted), Some("198.51.100.7".parse().unwrap()));
        assert_eq!(client_ip(&via_proxy, &[]), Some("10.1.1.1".parse().unwrap()));
        assert!(parse_trusted("nonsense").is_err());
        assert!(parse_trusted("").unwrap().is_empty());
    }
}
