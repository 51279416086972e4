//! Outgoing requests to addresses a user gave (a BSP's `api_url`, a provider's `provider_url`,
//! later webhooks and bots) never reach this host's or its network's private services.
//!
//! Loopback, private, link-local (cloud metadata), shared, unique-local and unspecified
//! addresses are refused twice: when the URL is saved (`check_resolved`) and when a connection is
//! made, after DNS resolution (the client's resolver drops them), so a name that resolves to a
//! public address when saved and to a private one later (DNS rebinding) still fails. IP literals
//! skip DNS in the HTTP client, so they are checked before each request (`check_url`); redirects
//! are checked the same way. `OUTBOUND_ALLOW_PRIVATE=true` turns all of this off, for tests and
//! for deployments whose BSP sits on a private network.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The request was not made: the address is not one we may call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Blocked(pub String);

/// Why a request failed, in words for the user: a refused address says so, a timeout is a
/// timeout, anything else is unreachable. `who` names the peer ("the BSP").
pub fn failure(who: &str, e: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(blocked) = err.downcast_ref::<Blocked>() {
            return format!("{who} address is refused: {blocked}");
        }
        source = err.source();
    }
    if e.is_timeout() {
        format!("{who} timed out")
    } else {
        format!("{who} could not be reached")
    }
}

/// Whether calls to private addresses are allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Guard {
    pub allow_private: bool,
}

/// Addresses no user-given URL may reach.
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local() // 169.254/16, with the cloud metadata address
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0 // "this network"
                || (a == 100 && (64..128).contains(&b)) // shared address space (carrier NAT)
                || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
                || a >= 240 // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique-local fc00::/7 (fd00:ec2::254 is AWS metadata)
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local, deprecated
                // NAT64 (64:ff9b::/96) and IPv4-compatible addresses carry an IPv4 address.
                || (v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || v6.segments()[..6] == [0; 6])
                    && forbidden(IpAddr::V4(std::net::Ipv4Addr::from(
                        (u32::from(v6.segments()[6]) << 16) | u32::from(v6.segments()[7]),
                    )))
        }
    }
}

impl Guard {
    fn refuse(&self, ip: IpAddr) -> Result<(), Blocked> {
        if !self.allow_private && forbidden(ip) {
            return Err(Blocked(format!("{ip} is a private or local address; set OUTBOUND_ALLOW_PRIVATE=true to allow such addresses")));
        }
        Ok(())
    }

    /// Checks what can be checked without DNS: the URL parses, is http(s), and an IP literal
    /// host is allowed. Called before each request.
    pub fn check_url(&self, raw: &str) -> Result<url::Url, Blocked> {
        let url = url::Url::parse(raw).map_err(|_| Blocked("is not a valid URL".into()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Blocked("must be an http or https URL".into()));
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.refuse(IpAddr::V4(ip))?,
            Some(url::Host::Ipv6(ip)) => self.refuse(IpAddr::V6(ip))?,
            Some(url::Host::Domain(_)) => {}
            None => return Err(Blocked("has no host".into())),
        }
        Ok(url)
    }

    /// `check_url`, then the host's addresses as DNS gives them now: for when a URL is saved.
    pub async fn check_resolved(&self, raw: &str) -> Result<(), Blocked> {
        let url = self.check_url(raw)?;
        if self.allow_private {
            return Ok(());
        }
        let Some(url::Host::Domain(host)) = url.host() else { return Ok(()) };
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> =
            tokio::net::lookup_host((host, port)).await.map_err(|_| Blocked(format!("{host} could not be resolved")))?.collect();
        if addrs.is_empty() {
            return Err(Blocked(format!("{host} could not be resolved")));
        }
        for addr in addrs {
            self.refuse(addr.ip())?;
        }
        Ok(())
    }

    /// An HTTP client whose every connection, redirects included, obeys this guard.
    pub fn client(&self, timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
        let guard = *self;
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error(Blocked("too many redirects".into()));
            }
            match guard.check_url(attempt.url().as_str()) {
                Ok(_) => attempt.follow(),
                Err(blocked) => attempt.error(blocked),
            }
        });
        let mut builder = reqwest::Client::builder().timeout(timeout).connect_timeout(timeout).redirect(redirects);
        if !self.allow_private {
            builder = builder.dns_resolver(Arc::new(Resolver { guard }));
        }
        builder.build()
    }
}

/// The system resolver, without the addresses the guard refuses.
struct Resolver {
    guard: Guard,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.guard;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| guard.refuse(a.ip()).is_ok()).collect();
            if allowed.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    Box::new(Blocked(format!("{host} resolves only to private or local addresses")));
                return Err(refused);
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn private_local_and_metadata_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(forbidden(ip(bad)), "{bad}");
        }
        for good in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:4860:4860::8888", "::ffff:8.8.8.8", "1.1.1.1"] {
            assert!(!forbidden(ip(good)), "{good}");
        }
    }

    #[test]
    fn literal_urls_are_checked_before_any_request() {
        let strict = Guard { allow_private: false };
        for bad in ["http://127.0.0.1:8080/x", "http://[::1]/", "http://169.254.169.254/latest", "http://0x7f000001/", "ftp://example.com/"]
        {
            assert!(strict.check_url(bad).is_err(), "{bad}");
        }
        assert!(strict.check_url("https://api.example.com/v1").is_ok());
        assert!(Guard { allow_private: true }.check_url("http://127.0.0.1:8080/x").is_ok());
    }

    #[tokio::test]
    async fn names_are_resolved_when_saved() {
        let strict = Guard { allow_private: false };
        assert!(strict.check_resolved("http://localhost:9/").await.is_err(), "localhost resolves to loopback");
        assert!(Guard { allow_private: true }.check_resolved("http://localhost:9/").await.is_ok());
    }

    #[tokio::test]
    async fn the_client_will_not_connect_to_a_name_that_resolves_privately() {
        let listener = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("bind: {e}"),
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(9);
        let strict = Guard { allow_private: false }.client(Duration::from_secs(2));
        let Ok(strict) = strict else { panic!("client") };
        let refused = strict.get(format!("http://localhost:{port}/")).send().await;
        assert!(refused.is_err(), "a name resolving to loopback is refused at connection time");
        drop(listener);
    }
}
