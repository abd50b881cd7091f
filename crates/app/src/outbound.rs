//! Outgoing HTTP requests (webhooks) reach public addresses only, unless the
//! configuration's `webhook_allow` names an internal receiver: the URL's host
//! is checked when a webhook is saved and before each delivery
//! ([`check_url`]), and every address a host name resolves to is checked
//! when the connection is made ([`GuardedResolver`]), so neither a name
//! that points inward nor one that changes its answer later gets through.
//! amends follows no redirects. The rules are in
//! [`amends_domain::outbound`].

use amends_domain::outbound::{self, AllowList};
use std::net::SocketAddr;
use std::sync::Arc;

/// Checks an http(s) URL's host against the rules; the error says why, in
/// words for the person who entered the URL.
pub fn check_url(url: &reqwest::Url, allow: &AllowList) -> Result<(), String> {
    let host = url.host_str().unwrap_or_default();
    outbound::check_host(host, allow).map_err(|why| {
        format!(
            "`{host}` is {why}; amends sends webhooks only to public addresses \
             (an administrator can allow internal receivers with the setting `webhook_allow`)"
        )
    })
}

/// Resolves host names for the webhook client and keeps only the addresses
/// the rules allow.
pub struct GuardedResolver {
    allow: AllowList,
}

impl GuardedResolver {
    #[must_use]
    pub fn new(allow: AllowList) -> Arc<Self> {
        Arc::new(Self { allow })
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let named = allow.allows_host(&host);
            let (kept, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = found
                .into_iter()
                .partition(|a| named || outbound::check_ip(a.ip(), &allow).is_ok());
            match (kept.is_empty(), refused.first()) {
                (true, Some(first)) => {
                    let why = outbound::ip_refusal(first.ip())
                        .map(|r| r.to_string())
                        .unwrap_or_default();
                    Err(format!(
                        "`{host}` resolves to {} ({why}); amends sends webhooks only to public addresses",
                        first.ip()
                    )
                    .into())
                }
                _ => Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::dns::Resolve;
    use std::str::FromStr;

    async fn resolve(allow: &str, host: &str) -> Result<Vec<SocketAddr>, String> {
        let resolver = GuardedResolver::new(allow.parse().unwrap_or_default());
        let name = reqwest::dns::Name::from_str(host).map_err(|e| e.to_string())?;
        resolver
            .resolve(name)
            .await
            .map(Iterator::collect)
            .map_err(|e| e.to_string())
    }

    /// A name that is not local by its form but resolves to loopback (as a
    /// rebinding DNS name would) gets no connection address.
    #[tokio::test]
    async fn names_resolving_inward_get_no_address() {
        let err = resolve("", "localhost").await.err().unwrap_or_default();
        assert!(err.contains("loopback"), "{err}");
        let ok = resolve("127.0.0.1, ::1", "localhost").await.unwrap_or_default();
        assert!(!ok.is_empty() && ok.iter().all(|a| a.ip().is_loopback()), "{ok:?}");
    }

    #[test]
    fn urls_are_checked_by_their_host() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        let none = AllowList::default();
        let err = check_url(&url("http://2130706433/x"), &none).err().unwrap_or_default();
        assert!(err.contains("`127.0.0.1` is a loopback address"), "{err}");
        assert!(check_url(&url("https://hooks.slack.com/services/x"), &none).is_ok());
    }
}
