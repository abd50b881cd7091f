//! Email in by IMAP polling (issue 4) against a real IMAP server: each test
//! starts its own Dovecot (Debian `dovecot-imapd`) on a free port with a
//! generated configuration in a temp dir. Without Dovecot the test fails
//! unless `AMENDS_SKIP_IMAP_TEST=1` is set.

use crate::support::{Backend, TestApp, html_of, wait_for};
use futures_util::TryStreamExt;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const DOVECOT: &str = "/usr/sbin/dovecot";

/// A Dovecot serving IMAP (plaintext login allowed) and IMAPS (with a
/// certificate of a test CA made by `openssl`, `tls/ca.crt`) on 127.0.0.1
/// for one user with a maildir in a temp dir. Stopped (SIGTERM) on drop.
struct Dovecot {
    port: u16,
    tls_port: u16,
    dir: PathBuf,
    child: Child,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    l.local_addr().expect("addr").port()
}

/// A test CA and a server certificate for 127.0.0.1 signed by it, in `dir`
/// (`ca.crt`, `server.crt`, `server.key`), made with the `openssl` command.
fn make_certificates(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).expect("tls dir");
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\n\
         keyUsage = digitalSignature\nextendedKeyUsage = serverAuth\n",
    )
    .expect("write ext");
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let steps: [Vec<&str>; 3] = [
        [
            &["req", "-x509"][..],
            &ec[..],
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=amends test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ][..],
        ]
        .concat(),
        [
            &["req"][..],
            &ec[..],
            &["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"][..],
        ]
        .concat(),
        vec![
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    ];
    for args in steps {
        let out = Command::new("openssl")
            .args(&args)
            .current_dir(dir)
            .output()
            .expect("the IMAPS test needs the `openssl` command (.ci/run installs it)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn id(args: &[&str]) -> String {
    let out = Command::new("id").args(args).output().expect("run id");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Dovecot {
    /// `None` when Dovecot is missing and `AMENDS_SKIP_IMAP_TEST=1` is set.
    fn start() -> Option<Self> {
        if !std::path::Path::new(DOVECOT).exists() {
            assert!(
                std::env::var("AMENDS_SKIP_IMAP_TEST").is_ok_and(|v| v == "1"),
                "the IMAP test needs Dovecot ({DOVECOT}): `apt-get install dovecot-imapd` \
                 (.ci/run does), or set AMENDS_SKIP_IMAP_TEST=1 to skip it"
            );
            eprintln!("AMENDS_SKIP_IMAP_TEST=1: IMAP test skipped");
            return None;
        }
        let dir = std::env::temp_dir().join(format!("amends-imap-{}", uuid::Uuid::new_v4().simple()));
        for sub in ["run", "state", "mail", "home"] {
            std::fs::create_dir_all(dir.join(sub)).expect("dovecot dirs");
        }
        // Dovecot's login and internal processes refuse root, and so does
        // the mail user; as root use Debian's `dovenull`/`dovecot` users
        // (the package creates them), as anyone else run everything as
        // that user.
        let root = id(&["-u"]) == "0";
        let (login, internal, group) = if root {
            ("dovenull".to_string(), "dovecot".to_string(), "dovecot".to_string())
        } else {
            (id(&["-un"]), id(&["-un"]), id(&["-gn"]))
        };
        let (uid, gid) = if root {
            (id(&["-u", "dovecot"]), id(&["-g", "dovecot"]))
        } else {
            (id(&["-u"]), id(&["-g"]))
        };
        let uid_n: u32 = uid.parse().expect("uid");
        let gid_n: u32 = gid.parse().expect("gid");
        if root {
            for sub in ["mail", "home"] {
                std::os::unix::fs::chown(dir.join(sub), Some(uid_n), Some(gid_n)).expect("chown");
            }
        }
        let (port, tls_port) = (free_port(), free_port());
        make_certificates(&dir.join("tls"));
        let d = dir.display();
        let conf = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\n\
             ssl = yes\nssl_cert = <{d}/tls/server.crt\nssl_key = <{d}/tls/server.key\n\
             disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
             default_internal_user = {internal}\ndefault_internal_group = {group}\n\
             default_login_user = {login}\n\
             first_valid_uid = {uid}\nlast_valid_uid = {uid}\nfirst_valid_gid = {gid}\n\
             mail_location = maildir:{d}/mail/%u\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/users\n}}\n\
             userdb {{\n  driver = passwd-file\n  args = username_format=%u {d}/users\n  \
             default_fields = uid={uid} gid={gid} home={d}/home/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  \
             inet_listener imaps {{\n    address = 127.0.0.1\n    port = {tls_port}\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n\
             service stats {{\n  unix_listener stats-writer {{\n    mode = 0666\n  }}\n}}\n"
        );
        std::fs::write(dir.join("dovecot.conf"), conf).expect("write conf");
        std::fs::write(dir.join("users"), "amends:{PLAIN}secret::::::\n").expect("write users");
        let child = Command::new(DOVECOT)
            .args(["-F", "-c"])
            .arg(dir.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dovecot");
        let mut dv = Dovecot {
            port,
            tls_port,
            dir,
            child,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
            || std::net::TcpStream::connect(("127.0.0.1", tls_port)).is_err()
        {
            if let Ok(Some(status)) = dv.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = dv.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                panic!("dovecot exited ({status}): {err} {}", dv.log());
            }
            assert!(
                std::time::Instant::now() < deadline,
                "dovecot did not listen: {}",
                dv.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(dv)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }

    fn url(&self, password: &str) -> String {
        format!("imap://amends:{password}@127.0.0.1:{}/INBOX", self.port)
    }

    fn tls_url(&self) -> String {
        format!("imaps://amends:secret@127.0.0.1:{}/INBOX", self.tls_port)
    }

    fn ca_file(&self) -> String {
        self.dir.join("tls/ca.crt").display().to_string()
    }

    /// A logged-in IMAP session (to put messages in and change flags).
    async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.expect("greeting").expect("greeting");
        let mut s = client
            .login("amends", "secret")
            .await
            .map_err(|(e, _)| e)
            .expect("login");
        s.select("INBOX").await.expect("select");
        s
    }

    async fn append(&self, raw: &str) {
        let mut s = self.session().await;
        s.append("INBOX", None, None, raw.as_bytes()).await.expect("append");
        s.logout().await.expect("logout");
    }

    /// Message UIDs with `flag` set or unset (`SEEN`, `UNSEEN`).
    async fn search(&self, query: &str) -> Vec<u32> {
        let mut s = self.session().await;
        let mut v: Vec<u32> = s.uid_search(query).await.expect("search").into_iter().collect();
        v.sort_unstable();
        s.logout().await.expect("logout");
        v
    }

    async fn unsee(&self, uid: u32) {
        let mut s = self.session().await;
        let _: Vec<_> = s
            .uid_store(uid.to_string(), "-FLAGS (\\Seen)")
            .await
            .expect("store")
            .try_collect()
            .await
            .expect("store");
        s.logout().await.expect("logout");
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its login and imap processes too.
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn mail(from: &str, message_id: &str, subject: &str, extra: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: service@amends.example\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         Date: Mon, 23 Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n{extra}\r\n{body}\r\n"
    )
}

async fn email_feedback(app: &TestApp) -> Vec<Value> {
    let v = app.get_json("/api/v1/feedback?channel=email", &app.admin_token).await;
    v["items"].as_array().expect("items").clone()
}

async fn cases(app: &TestApp) -> Vec<Value> {
    let v = app.get_json("/api/v1/cases", &app.admin_token).await;
    v["items"].as_array().expect("items").clone()
}

fn amends_cli(db_url: &str, imap_url: &str, args: &[&str]) -> std::process::Output {
    amends_cli_with_ca(db_url, imap_url, None, args)
}

fn amends_cli_with_ca(db_url: &str, imap_url: &str, ca_file: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amends"));
    cmd.env_remove("AMENDS_DATABASE_URL")
        .env_remove("AMENDS_IMAP_CA_FILE")
        .env("AMENDS_LOG", "warn")
        .env("AMENDS_IMAP_URL", imap_url)
        .args(["--database-url", db_url])
        .args(args);
    if let Some(ca) = ca_file {
        cmd.env("AMENDS_IMAP_CA_FILE", ca);
    }
    cmd.output().expect("run amends")
}

async fn cli_poll(db_url: String, imap_url: String) -> (bool, String, String) {
    cli_poll_with_ca(db_url, imap_url, None).await
}

async fn cli_poll_with_ca(db_url: String, imap_url: String, ca_file: Option<String>) -> (bool, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = amends_cli_with_ca(&db_url, &imap_url, ca_file.as_deref(), &["mail", "poll"]);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .expect("join")
}

async fn imap_polling_feeds_detection(b: Backend) {
    let Some(dv) = Dovecot::start() else { return };
    // In the mailbox before the server starts: a German and an English
    // complaint, a friendly English note and an auto-reply.
    dv.append(&mail(
        "Erika Muster <erika@example.de>",
        "de-1@mail.example",
        "Lieferung kaputt",
        "",
        "Die Lieferung kam zwei Wochen zu spät und die Vase war kaputt. Das ist eine Frechheit, ich kündige!",
    ))
    .await;
    dv.append(&mail(
        "John Smith <john@example.com>",
        "en-1@mail.example",
        "Terrible billing",
        "",
        "You charged me twice on my invoice and nobody answers. This is terrible service, I will cancel my subscription.",
    ))
    .await;
    dv.append(&mail(
        "Mary <mary@example.com>",
        "en-2@mail.example",
        "Thanks",
        "",
        "Thank you, the delivery arrived early and everything is great!",
    ))
    .await;
    dv.append(&mail(
        "Abwesend <away@example.de>",
        "auto-1@mail.example",
        "Abwesenheitsnotiz",
        "Auto-Submitted: auto-replied\r\n",
        "Ich bin nicht da. Das ist eine Frechheit, ich kündige mein Abo! Nie wieder!",
    ))
    .await;
    assert_eq!(dv.search("UNSEEN").await.len(), 4);

    // Polls at start, then every hour (the rest of the test polls by CLI).
    let imap_url = dv.url("secret");
    let url = imap_url.clone();
    let app = TestApp::spawn_with(b, move |c| {
        c.imap_url = Some(url);
        c.imap_poll_interval = chrono::Duration::hours(1);
    })
    .await;
    let db_url = app.db_url();

    let status = wait_for(30, "the first poll", || async {
        let s = app.get_json("/api/v1/mail/imap", &app.admin_token).await;
        (s["polls"].as_u64() >= Some(1)).then_some(s)
    })
    .await;
    assert!(status["last_error"].is_null(), "{status}\n{}", dv.log());
    assert_eq!(status["configured"], true, "{status}");
    assert_eq!(status["last_report"]["fetched"], 4, "{status}");
    assert_eq!(status["last_report"]["ingested"], 3, "{status}");
    assert_eq!(status["last_report"]["ignored"], 1, "{status}");
    assert!(!status.to_string().contains("secret"), "password shown: {status}");
    let items = email_feedback(&app).await;
    assert_eq!(items.len(), 3, "two complaints and the note: {items:?}");
    let by_from = |addr: &str| {
        items
            .iter()
            .find(|f| f["source"]["from"] == addr)
            .unwrap_or_else(|| panic!("feedback from {addr}: {items:?}"))
            .clone()
    };
    let de = by_from("erika@example.de");
    assert_eq!(de["language"], "de", "{de}");
    assert_eq!(de["sentiment"]["label"], "negative", "{de}");
    assert!(
        de["topics"].as_array().expect("topics").iter().any(|t| t == "delivery"),
        "{de}"
    );
    let en = by_from("john@example.com");
    assert_eq!(en["language"], "en", "{en}");
    assert_eq!(en["sentiment"]["label"], "negative", "{en}");
    assert!(
        en["topics"].as_array().expect("topics").iter().any(|t| t == "billing"),
        "{en}"
    );
    let thanks = by_from("mary@example.com");
    assert_eq!(thanks["sentiment"]["label"], "positive", "{thanks}");
    assert!(thanks["case_id"].is_null(), "praise opens no case: {thanks}");

    // The negative ones opened cases that the inbox lists; the auto-reply opened nothing.
    let de_case = de["case_id"]
        .as_str()
        .expect("German complaint opened a case")
        .to_string();
    let en_case = en["case_id"]
        .as_str()
        .expect("English complaint opened a case")
        .to_string();
    let listed: Vec<String> = cases(&app)
        .await
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.contains(&de_case) && listed.contains(&en_case), "{listed:?}");
    assert!(
        !items.iter().any(|f| f["source"]["from"] == "away@example.de"),
        "auto-reply is no feedback"
    );
    // Everything taken is \Seen on the server.
    assert!(dv.search("UNSEEN").await.is_empty());
    assert_eq!(dv.search("SEEN").await.len(), 4);

    // A reply from the customer threads onto her case (by `amends mail poll`).
    dv.append(&mail(
        "Erika Muster <erika@example.de>",
        "de-2@mail.example",
        "Re: Lieferung kaputt",
        "In-Reply-To: <de-1@mail.example>\r\nReferences: <de-1@mail.example>\r\n",
        "Und wann kommt der Ersatz?",
    ))
    .await;
    let (ok, out, err) = cli_poll(db_url.clone(), imap_url.clone()).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("ingested 1 messages"), "{out}");
    let ev: Vec<Value> = app
        .get(&format!("/api/v1/cases/{de_case}/events"), &app.admin_token)
        .await
        .json()
        .await
        .expect("events");
    assert!(
        ev.iter()
            .any(|e| e["kind"] == "message_in" && e["body"] == "Und wann kommt der Ersatz?"),
        "{ev:?}"
    );
    assert_eq!(email_feedback(&app).await.len(), 3, "a reply is no new feedback");

    // A second poll finds nothing new.
    let (ok, out, err) = cli_poll(db_url.clone(), imap_url.clone()).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("ingested 0 messages (0 fetched"), "{out}");

    // A crash after ingest but before \Seen: the message comes again and is taken once.
    let first = dv.search("ALL").await[0];
    dv.unsee(first).await;
    let (ok, out, err) = cli_poll(db_url.clone(), imap_url.clone()).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("ingested 0 messages (1 fetched, 1 taken before"), "{out}");
    assert_eq!(email_feedback(&app).await.len(), 3);
    assert_eq!(cases(&app).await.len(), 2);
    assert!(dv.search("UNSEEN").await.is_empty());

    // Issue 18: a message that cannot be taken (no From) is never marked
    // \Seen — it stays unread in the mailbox for a person — and is counted
    // as rejected at each poll; a mail over 20,000 characters is taken whole.
    dv.append(&mail("", "nofrom-1@mail.example", "Ohne Absender", "", "Wer bin ich?"))
        .await;
    let mut long =
        String::from("Die Vase kam kaputt an und niemand antwortet. Das ist eine Frechheit, ich kündige!\r\n");
    while long.len() < 30_000 {
        long.push_str("> Die Lieferung war zu spät und kaputt, niemand antwortet.\r\n");
    }
    long.push_str("ENDE DER MAIL");
    dv.append(&mail(
        "Erika Muster <lang@example.de>",
        "long-1@mail.example",
        "Sehr lang",
        "",
        &long,
    ))
    .await;
    let nofrom = dv.search("UNSEEN").await;
    for _ in 0..2 {
        let (ok, out, err) = cli_poll(db_url.clone(), imap_url.clone()).await;
        assert!(ok, "{out}{err}");
        assert!(out.contains(", 1 rejected)"), "{out}");
        assert_eq!(dv.search("UNSEEN").await, nofrom[..1], "the rejected one stays unseen");
    }
    // ...and is kept once in the mail quarantine for an admin.
    let kept = app.get_json("/api/v1/mail/quarantine", &app.admin_token).await;
    let kept = kept.as_array().expect("list");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0]["source"], "imap");
    assert_eq!(kept[0]["reason_code"], "no_sender");
    let items = email_feedback(&app).await;
    let taken = items
        .iter()
        .find(|f| f["source"]["from"] == "lang@example.de")
        .expect("the long mail is taken");
    let text = taken["text"].as_str().expect("text");
    assert!(text.len() > 30_000 && text.ends_with("ENDE DER MAIL"), "{}", text.len());

    // A wrong password: a clear error naming the server (not the password), exit code 1.
    let (ok, out, err) = cli_poll(db_url.clone(), dv.url("wrong-pass")).await;
    assert!(!ok, "{out}");
    assert!(err.contains("login") && err.contains("127.0.0.1"), "{err}");
    assert!(!err.contains("wrong-pass"), "{err}");
}

async fn imap_errors_are_reported_and_retried(b: Backend) {
    // A port where nothing listens: the poller logs and keeps the error, the
    // server runs on. Port 1 (tcpmux) is refused at once; a port freed by a
    // listener could be handed to a parallel test's server in the meantime,
    // which would accept and never greet (the poll then waits its 60 s step).
    let port: u16 = 1;
    let app = TestApp::spawn_with(b, move |c| {
        c.imap_url = Some(format!("imap://amends:topsecret@127.0.0.1:{port}/INBOX"));
        c.imap_poll_interval = chrono::Duration::seconds(1);
    })
    .await;
    let first = wait_for(30, "the failed poll in the status", || async {
        let s = app.get_json("/api/v1/mail/imap", &app.admin_token).await;
        s["last_error"].is_string().then_some(s)
    })
    .await;
    let e = first["last_error"].as_str().expect("error");
    assert!(e.contains("cannot connect") && e.contains(&port.to_string()), "{e}");
    assert!(!first.to_string().contains("topsecret"), "{first}");
    assert!(first["last_success_at"].is_null(), "{first}");
    // Tried again at the next interval (a later poll time), and still serving.
    wait_for(30, "a second attempt", || async {
        let s = app.get_json("/api/v1/mail/imap", &app.admin_token).await;
        (s["polls"].as_u64() > first["polls"].as_u64()).then_some(())
    })
    .await;
    assert_eq!(app.get("/readyz", &app.admin_token).await.status(), 200);
    // Admins see it on Settings → Background jobs.
    let admin = app.signed_in("admin").await;
    let page = html_of(&admin, &app, "/settings/jobs").await;
    assert!(page.contains("data-testid=\"imap-error\""), "{page}");
    assert!(page.contains("cannot connect") && !page.contains("topsecret"), "{page}");
    // Agents may not read it.
    let agent = app.token_for("agent1", "agent").await;
    assert_eq!(app.get("/api/v1/mail/imap", &agent).await.status(), 403);

    // A bad URL names the key and stops start-up of the CLI.
    let out = tokio::task::spawn_blocking({
        let db_url = app.db_url();
        move || amends_cli(&db_url, "pop3://u:topsecret@host/INBOX", &["mail", "poll"])
    })
    .await
    .expect("join");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("imap_url") && !err.contains("topsecret"), "{err}");
}

/// `imaps://` against a server whose certificate comes from a company CA:
/// refused without `imap_ca_file`, taken with it; a CA file that is not one
/// stops the CLI naming the key.
async fn imaps_with_a_company_ca(b: Backend) {
    let Some(dv) = Dovecot::start() else { return };
    dv.append(&mail(
        "Erika Muster <erika@example.de>",
        "tls-1@mail.example",
        "Rechnung falsch",
        "",
        "Sie haben mir die Rechnung doppelt abgebucht und niemand antwortet. Das ist eine Frechheit, ich kündige!",
    ))
    .await;
    let app = TestApp::spawn(b).await;
    let (db_url, url) = (app.db_url(), dv.tls_url());
    let poll = |ca: Option<String>| cli_poll_with_ca(db_url.clone(), url.clone(), ca);

    // The public roots alone do not know the test CA: the handshake fails,
    // nothing is taken, the message stays unseen.
    let (ok, _, err) = poll(None).await;
    assert!(!ok, "{err}");
    assert!(err.contains("TLS handshake") && !err.contains("secret"), "{err}");
    assert!(email_feedback(&app).await.is_empty());
    assert_eq!(dv.search("UNSEEN").await.len(), 1);

    // With the company CA: taken over TLS, analysed, a case opened (churn).
    let (ok, stdout, stderr) = poll(Some(dv.ca_file())).await;
    assert!(ok, "{stdout}\n{stderr}\n{}", dv.log());
    let items = email_feedback(&app).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["language"], "de", "{}", items[0]);
    assert_eq!(items[0]["sentiment"]["label"], "negative", "{}", items[0]);
    assert!(items[0]["case_id"].is_string(), "{}", items[0]);
    assert!(dv.search("UNSEEN").await.is_empty());

    // A CA file that holds no certificate stops the CLI naming the key.
    let not_pem = dv.dir.join("tls/server.ext").display().to_string();
    let (ok, _, err) = poll(Some(not_pem)).await;
    assert!(!ok);
    assert!(err.contains("imap_ca_file") && err.contains("no certificate"), "{err}");
}

crate::both_backends!(
    imap_polling_feeds_detection,
    imap_errors_are_reported_and_retried,
    imaps_with_a_company_ca
);
