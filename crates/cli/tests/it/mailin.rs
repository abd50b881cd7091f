//! Email in (issue 4): the MTA pipe and `POST /api/v1/mail/inbound` —
//! replies thread onto their case, other mail becomes feedback, auto-replies
//! and bounces open nothing, attachments are stored — on both backends.

use crate::support::{Backend, SmtpSink, TestApp, TestDb, problem, wait_for};
use serde_json::{Value, json};

fn complaint_eml(from: &str, message_id: &str) -> Vec<u8> {
    let mut m = format!(
        "From: Erika Muster <{from}>\r\nTo: service@amends.example\r\nSubject: Lieferung kaputt\r\n\
         Message-ID: <{message_id}>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n\
         --XYZ\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Die Lieferung kam zwei Wochen zu sp\u{e4}t und die Vase war kaputt. Das ist eine Frechheit, ich k\u{fc}ndige mein Abo! "
    )
    .into_bytes();
    // Invalid UTF-8 in the body: taken lossily.
    m.extend_from_slice(b"Kaputt \xff\xfe Ende.\r\n");
    m.extend_from_slice(
        b"--XYZ\r\nContent-Type: text/plain; name=\"beleg.txt\"\r\nContent-Disposition: attachment; filename=\"beleg.txt\"\r\n\r\n\
          Bestellnummer 4711\r\n--XYZ--\r\n",
    );
    m
}

async fn post_mail(app: &TestApp, raw: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/mail/inbound"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "message/rfc822")
        .body(raw)
        .send()
        .await
        .expect("request")
}

async fn events(app: &TestApp, case: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/cases/{case}/events"), &app.admin_token)
        .await
        .json::<Vec<Value>>()
        .await
        .expect("events")
}

async fn email_feedback(app: &TestApp) -> Vec<Value> {
    let v = app.get_json("/api/v1/feedback?channel=email", &app.admin_token).await;
    v["items"].as_array().expect("items").clone()
}

async fn mail_in_opens_cases_and_threads_replies(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |_| {}).await;

    // A complaint from a new sender: feedback through detection, a case, the attachment stored.
    let res = post_mail(&app, complaint_eml("erika@example.de", "first-1@mail.example")).await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.expect("json");
    assert_eq!(out["outcome"], "feedback", "{out}");
    assert_eq!(out["attachments"], 1);
    let case = out["case_id"].as_str().expect("a case was opened").to_string();
    // The MTA delivers the same message again: taken once.
    let again: Value = post_mail(&app, complaint_eml("erika@example.de", "first-1@mail.example"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["outcome"], "duplicate", "{again}");
    let items = email_feedback(&app).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["language"], "de");
    assert_eq!(items[0]["sentiment"]["label"], "negative");
    let text = items[0]["text"].as_str().expect("text");
    assert!(text.starts_with("Lieferung kaputt"), "{text}");
    assert!(text.contains("Kaputt \u{fffd}\u{fffd} Ende."), "lossy: {text}");
    let ev = events(&app, &case).await;
    let listed = ev.iter().any(|e| e.to_string().contains("beleg.txt"));
    assert!(listed, "the attachment is on the timeline: {ev:?}");
    let att = app
        .get_json(&format!("/api/v1/cases/{case}/attachments"), &app.admin_token)
        .await;
    assert_eq!(att[0]["filename"], "beleg.txt", "{att}");
    assert_eq!(att[0]["content_type"], "text/plain");
    let bytes = app
        .get(
            &format!("/api/v1/attachments/{}", att[0]["id"].as_str().expect("id")),
            &app.admin_token,
        )
        .await
        .bytes()
        .await
        .expect("bytes");
    assert!(String::from_utf8_lossy(&bytes).contains("Bestellnummer 4711"));

    // A reply to the customer's own message (References) threads onto the case.
    let reply = String::from(
        "From: erika@example.de\r\nSubject: Re: Lieferung kaputt\r\nMessage-ID: <second-2@mail.example>\r\n\
         In-Reply-To: <first-1@mail.example>\r\nReferences: <first-1@mail.example>\r\n\r\nUnd nun?\r\n",
    );
    let out: Value = post_mail(&app, reply.into_bytes()).await.json().await.expect("json");
    assert_eq!(out["outcome"], "threaded", "{out}");
    assert_eq!(out["case_id"], case.as_str());

    // An agent's reply goes out with a Message-ID; the answer to it threads too.
    let q = app
        .post_json(
            &format!("/api/v1/cases/{case}/replies"),
            &app.admin_token,
            json!({"body": "Ersatz ist unterwegs."}),
            202,
        )
        .await;
    let mid = q["message_id"].as_str().expect("message id").to_string();
    wait_for(30, "the reply on the timeline", || async {
        events(&app, &case)
            .await
            .into_iter()
            .find(|e| e["kind"] == "message_out")
    })
    .await;
    let answer = format!(
        "From: Erika <erika@example.de>\r\nSubject: Re: Ihre Anfrage\r\nMessage-ID: <third-3@mail.example>\r\n\
         In-Reply-To: <{mid}>\r\n\r\nDanke, das Paket ist da.\r\n"
    );
    let out: Value = post_mail(&app, answer.into_bytes()).await.json().await.expect("json");
    assert_eq!(out["outcome"], "threaded", "{out}");
    assert_eq!(out["case_id"], case.as_str());
    let ev = events(&app, &case).await;
    assert!(ev.iter().any(|e| e["body"] == "Danke, das Paket ist da."), "{ev:?}");
    let again: Value = post_mail(
        &app,
        format!("From: erika@example.de\r\nMessage-ID: <third-3@mail.example>\r\nIn-Reply-To: <{mid}>\r\n\r\nx\r\n")
            .into_bytes(),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(again["outcome"], "duplicate", "{again}");

    // The reply went out with the reference the case page shows.
    let short = &case[case.len() - 8..];
    let sent = events(&app, &case).await;
    let out_subject = sent
        .iter()
        .find(|e| e["kind"] == "message_out")
        .and_then(|e| e["data"]["subject"].as_str())
        .expect("the reply's subject")
        .to_string();
    assert!(out_subject.ends_with(&format!("[#{short}]")), "{out_subject}");

    // That reference in the subject threads the customer's own mail without headers.
    let token_mail = format!("From: erika@example.de\r\nSubject: Nachtrag [#{short}]\r\n\r\nNoch ein Foto folgt.\r\n");
    let out: Value = post_mail(&app, token_mail.into_bytes())
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(out["outcome"], "threaded", "{out}");
    assert_eq!(out["case_id"], case.as_str());
    assert_eq!(email_feedback(&app).await.len(), 1, "threaded mail is not new feedback");

    // A stranger who knows the reference does not write into the case.
    let stranger = format!("From: other@example.de\r\nSubject: Nachtrag [#{short}]\r\n\r\nIch bin jemand anderes.\r\n");
    let out: Value = post_mail(&app, stranger.into_bytes()).await.json().await.expect("json");
    assert_eq!(out["outcome"], "feedback", "{out}");
    assert_ne!(out["case_id"], case.as_str(), "{out}");
    let ev = events(&app, &case).await;
    assert!(
        !ev.iter()
            .any(|e| e["body"].as_str().is_some_and(|b| b.contains("jemand anderes"))),
        "{ev:?}"
    );
}

async fn auto_replies_and_bounces_open_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let angry = "Das ist eine Frechheit, ich kündige mein Abo! Nie wieder!";
    for (raw, outcome) in [
        (
            format!("From: a@example.de\r\nSubject: Abwesend\r\nAuto-Submitted: auto-replied\r\n\r\n{angry}\r\n"),
            "auto_reply",
        ),
        (
            format!("From: b@example.de\r\nSubject: Abwesend\r\nX-Autoreply: yes\r\n\r\n{angry}\r\n"),
            "auto_reply",
        ),
        (
            format!("From: c@example.de\r\nSubject: News\r\nPrecedence: bulk\r\n\r\n{angry}\r\n"),
            "auto_reply",
        ),
        (
            format!(
                "From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\nContent-Type: multipart/report; \
                 report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n{angry}\r\n--B--\r\n"
            ),
            "bounce",
        ),
        (
            format!("From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\nSubject: failure\r\n\r\n{angry}\r\n"),
            "bounce",
        ),
    ] {
        let res = post_mail(&app, raw.into_bytes()).await;
        assert_eq!(res.status(), 200);
        let out: Value = res.json().await.expect("json");
        assert_eq!(out["outcome"], outcome, "{out}");
        assert!(out["case_id"].is_null());
    }
    assert!(email_feedback(&app).await.is_empty());
    let cases = app.get_json("/api/v1/cases", &app.admin_token).await;
    assert_eq!(cases["items"].as_array().expect("items").len(), 0, "{cases}");
    // Bad input: clear 4xx.
    problem(post_mail(&app, Vec::new()).await, 400).await;
    let p = problem(
        post_mail(&app, b"Subject: no sender\r\n\r\nHallo\r\n".to_vec()).await,
        422,
    )
    .await;
    assert_eq!(p["field"], "from");
    let agent = app.token_for("agent1", "agent").await;
    let res = app
        .client
        .post(app.url("/api/v1/mail/inbound"))
        .bearer_auth(&agent)
        .body(complaint_eml("x@example.de", "x@x"))
        .send()
        .await
        .expect("req");
    problem(res, 403).await;
}

/// `amends --database-url URL mail ingest` with `raw` on stdin (as an MTA pipes it).
pub(crate) fn mail_ingest(url: String, raw: Vec<u8>) -> tokio::task::JoinHandle<std::process::Output> {
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_amends"))
            .env_remove("AMENDS_DATABASE_URL")
            .env("AMENDS_LOG", "warn")
            .args(["--database-url", &url, "mail", "ingest"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        child.stdin.take().expect("stdin").write_all(&raw).expect("write");
        child.wait_with_output().expect("run")
    })
}

async fn mail_ingest_from_the_command_line(b: Backend) {
    let db = TestDb::new(b).await;
    let run = |input: Vec<u8>| mail_ingest(db.url.clone(), input);
    let out = run(complaint_eml("cli@example.de", "cli-1@mail.example"))
        .await
        .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("feedback"), "{stdout}");
    assert!(stdout.contains("case"), "{stdout}");
    let out = run(b"\r\n".to_vec()).await.expect("join");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("empty"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A plain-text mail with `body` and `parts` attachments.
fn long_eml(from: &str, message_id: &str, headers: &str, body: &str, parts: usize) -> Vec<u8> {
    let mut m = format!(
        "From: Erika Muster <{from}>\r\nTo: service@amends.example\r\nSubject: Lieferung kaputt\r\n\
         Message-ID: <{message_id}>\r\n{headers}MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n\
         --XYZ\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    );
    for i in 0..parts {
        m.push_str(&format!(
            "--XYZ\r\nContent-Type: image/png; name=\"foto-{i}-{long}.png\"\r\n\
             Content-Disposition: attachment; filename=\"foto-{i}-{long}.png\"\r\n\r\nPNG {i}\r\n",
            long = "x".repeat(150)
        ));
    }
    m.push_str("--XYZ--\r\n");
    m.into_bytes()
}

/// Issue 18: a mail over 20,000 characters was refused whole (and the MTA
/// bounced it); one with 150 attachments too. Both are kept: the text
/// whole (analysed on its beginning), the attachments listed.
async fn long_mails_and_many_attachments_are_kept(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut body = String::from("Die Vase kam kaputt an und niemand antwortet. Das ist eine Frechheit, ich kündige!\n");
    while body.chars().count() < 30_000 {
        body.push_str("> Die Lieferung war zu spät und kaputt, niemand antwortet.\n");
    }
    body.push_str("ENDE DER MAIL");
    let whole = format!("Lieferung kaputt\n\n{body}");
    assert!(whole.chars().count() > 30_000);

    // Through the MTA pipe, `amends mail ingest`.
    let url = app.db_url();
    let raw = long_eml("lang@example.de", "long-1@mail.example", "", &body, 0);
    let out = mail_ingest(url, raw).await.expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let items = email_feedback(&app).await;
    assert_eq!(items.len(), 1, "{stdout}");
    assert_eq!(
        items[0]["text"].as_str(),
        Some(whole.as_str()),
        "the whole text is kept"
    );
    assert_eq!(items[0]["sentiment"]["label"], "negative");
    let case = items[0]["case_id"].as_str().expect("a case was opened").to_string();
    let c = app.get_json(&format!("/api/v1/cases/{case}"), &app.admin_token).await;
    assert_eq!(c["description"].as_str(), Some(whole.as_str()));

    // A long reply threads onto the case whole.
    let reply = format!("{body} (Antwort)");
    let res = post_mail(
        &app,
        long_eml(
            "lang@example.de",
            "long-2@mail.example",
            "In-Reply-To: <long-1@mail.example>\r\n",
            &reply,
            0,
        ),
    )
    .await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.expect("json");
    assert_eq!(out["outcome"], "threaded", "{out}");
    assert!(
        events(&app, &case)
            .await
            .iter()
            .any(|e| e["kind"] == "message_in" && e["body"].as_str() == Some(reply.as_str())),
        "the whole reply on the timeline"
    );

    // 150 attachments: the mail is taken, 20 stored, the source says how many.
    let res = post_mail(
        &app,
        long_eml(
            "anhang@example.de",
            "many-1@mail.example",
            "",
            "Die Vase ist kaputt, ich kündige!",
            150,
        ),
    )
    .await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.expect("json");
    assert_eq!(out["outcome"], "feedback", "{out}");
    assert_eq!(out["attachments"], 20, "{out}");
    let items = email_feedback(&app).await;
    let many = items
        .iter()
        .find(|f| f["source"]["from"] == "anhang@example.de")
        .expect("feedback with attachments");
    assert_eq!(many["source"]["attachments_total"], 150, "{many}");
    assert!(many["source"].to_string().len() <= 8 * 1024);
}

crate::both_backends!(
    mail_in_opens_cases_and_threads_replies,
    auto_replies_and_bounces_open_nothing,
    mail_ingest_from_the_command_line,
    long_mails_and_many_attachments_are_kept,
);
