//! A real OpenID Provider on loopback: npm's certified `oidc-provider`, run by
//! `tests/web/oidc_provider.mjs` (its development interactions accept any login; the login
//! names the claims). Offbeat's single sign-on tests sign in through it in Chromium.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::process::Watched;
use crate::tools::require;

/// The client id and secret Offbeat is registered with at the test provider.
pub const CLIENT_ID: &str = "offbeat";
pub const CLIENT_SECRET: &str = "offbeat-test-client-secret-0123456789abcdef";

#[derive(Debug)]
pub struct OidcProvider {
    process: Watched,
    pub issuer: String,
}

impl OidcProvider {
    /// An issuer URL on a free loopback port, for the servers to be started with before the
    /// provider (which must know their redirect URIs) is: see [`OidcProvider::start`].
    pub fn reserve_issuer() -> String {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        format!("http://127.0.0.1:{port}")
    }

    /// The provider at `issuer` (from [`OidcProvider::reserve_issuer`]), with Offbeat
    /// registered for the redirect URIs of these servers (their base URLs).
    pub fn start(issuer: &str, offbeat_urls: &[&str]) -> Self {
        require(&["node"]);
        let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        assert!(
            web.join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is missing: run scripts/install-deps test"
        );
        let port: u16 = issuer.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port");
        let redirect_uris: Vec<String> = offbeat_urls
            .iter()
            .map(|url| format!("{url}/auth/oidc/callback"))
            .collect();
        let config = serde_json::json!({
            "port": port,
            "clients": [{
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": redirect_uris,
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            }]
        });
        let mut process = Watched::spawn(
            Command::new("node")
                .arg(web.join("oidc_provider.mjs"))
                .env("OFFBEAT_OIDC_PROVIDER", config.to_string()),
        );
        process.wait_for_line("listening ", Duration::from_secs(30));
        let started = process
            .seen()
            .last()
            .and_then(|line| line.strip_prefix("listening "))
            .expect("the issuer")
            .trim()
            .to_owned();
        assert_eq!(started, issuer, "the provider started elsewhere");
        Self {
            process,
            issuer: started,
        }
    }

    /// The flags that point a server at the provider at `issuer`.
    pub fn flags(issuer: &str) -> Vec<String> {
        vec![
            "--oidc-issuer".into(),
            issuer.to_owned(),
            "--oidc-client-id".into(),
            CLIENT_ID.into(),
            "--oidc-client-secret".into(),
            CLIENT_SECRET.into(),
        ]
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.process.child.kill();
        let _ = self.process.child.wait();
    }
}
