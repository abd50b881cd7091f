//! Behaviour of the public API. Fast (< 10 s in debug); the slow
//! cross-validation check is `#[ignore]`d, run it with
//! `cargo test --release -p amends-text -- --ignored`.

use amends_text::{
    Analyzer, Audience, LabeledRow, Language, SentimentLabel, Signal, Taxonomy, TextError, TrainOptions, TrainedModel,
    cross_validate, evaluate, find_shared_data_dir, load_eval_sets, parse_labeled, train,
};

fn analyzer() -> Analyzer {
    Analyzer::default_model()
}

fn label(text: &str) -> SentimentLabel {
    analyzer().analyze(text, None).sentiment.label
}

#[test]
fn analyzer_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Analyzer>();
    let a = analyzer();
    let b = a.clone();
    assert_eq!(a.analyze("gut", None), b.analyze("gut", None));
}

#[test]
fn detects_language() {
    let a = analyzer();
    assert_eq!(a.detect_language("Die Lieferung ist nicht angekommen"), Language::De);
    assert_eq!(a.detect_language("My parcel never arrived"), Language::En);
    assert_eq!(a.detect_language("Übergröße"), Language::De);
    assert_eq!(a.detect_language(""), Language::De);
    assert_eq!(a.analyze("", Some(Language::En)).language, Language::En);
    assert_eq!(a.analyze("ok", Some(Language::En)).language, Language::En);
    // A confident detection wins over a wrong hint.
    assert_eq!(
        a.analyze("Ich bin mit der Lieferung sehr unzufrieden", Some(Language::En))
            .language,
        Language::De
    );
}

#[test]
fn english_sentiment_and_negation() {
    assert_eq!(label("The service was good."), SentimentLabel::Positive);
    assert_eq!(label("The service was not good."), SentimentLabel::Negative);
    assert_eq!(label("Not bad at all"), SentimentLabel::Positive);
    assert_eq!(label("The driver was extremely rude!!!"), SentimentLabel::Negative);
    assert_eq!(label("My order arrived on Tuesday."), SentimentLabel::Neutral);
    let very = analyzer().analyze("very good", None).sentiment.score;
    let plain = analyzer().analyze("good", None).sentiment.score;
    assert!(very > plain, "booster: {very} <= {plain}");
}

#[test]
fn german_sentiment_negation_and_compounds() {
    assert_eq!(label("Der Service war gut."), SentimentLabel::Positive);
    assert_eq!(label("Der Service war nicht gut."), SentimentLabel::Negative);
    assert_eq!(label("Das gefällt mir nicht."), SentimentLabel::Negative);
    assert_eq!(
        label("Super Service, vielen Dank für die schnelle Hilfe!"),
        SentimentLabel::Positive
    );
    assert_eq!(
        label("Die Lieferung kam drei Tage zu spät und das Paket war beschädigt."),
        SentimentLabel::Negative
    );
    assert_eq!(label("Schon wieder ein Zugausfall."), SentimentLabel::Negative);
    assert_eq!(label("Meine Bestellung ist heute angekommen."), SentimentLabel::Neutral);
    let strong = analyzer().analyze("Das war sehr schlecht", None).sentiment.score;
    let weak = analyzer().analyze("Das war schlecht", None).sentiment.score;
    assert!(strong < weak, "booster: {strong} >= {weak}");
    // Inflected and compound forms reach the lexicon.
    assert_eq!(
        label("Die Mitarbeiter waren unfreundlichen Menschen"),
        SentimentLabel::Negative
    );
    assert_eq!(label("Lieferverzögerungen ohne Ende"), SentimentLabel::Negative);
    // Nouns do not borrow the polarity of a verb or adjective with the same
    // stem ("Preis"/"preisen", "Nähe"/"nähen", "Busse"/"büßen").
    assert_eq!(
        label("Ich habe eine Frage zum Preis meines Abos."),
        SentimentLabel::Neutral
    );
    assert_eq!(label("Der Preis wurde geändert."), SentimentLabel::Neutral);
    assert_eq!(label("Die Busse fahren ab Montag."), SentimentLabel::Neutral);
    // Capitalised complaint nouns still count, mid-sentence and at the start.
    assert_eq!(label("Das ist eine Frechheit."), SentimentLabel::Negative);
    assert_eq!(label("Heute schon wieder Verspätung."), SentimentLabel::Negative);
    assert_eq!(label("Schlechte Beratung und kein Rückruf."), SentimentLabel::Negative);
}

#[test]
fn topics_are_compound_aware() {
    let a = analyzer();
    let t = a.analyze("Lieferverzögerung seit einer Woche", None).topics;
    assert_eq!(t, ["delivery", "delay"]);
    let t = a.analyze("Die Rechnung wurde doppelt abgebucht", None).topics;
    assert_eq!(t, ["billing"]);
    let t = a.analyze("Der Zugbegleiter war unfreundlich", None).topics;
    assert_eq!(t, ["staff_behaviour"]);
    let t = a
        .analyze("The app crashes at checkout and the refund is late", None)
        .topics;
    assert_eq!(t, ["billing", "app_website", "delay"]);
    let t = a.analyze("I waited two hours on hold", None).topics;
    assert_eq!(t, ["waiting_time"]);
    let t = a.analyze("Das Gerät ist kaputt", None).topics;
    assert_eq!(t, ["product_defect"]);
    assert!(a.analyze("Schönes Wetter heute", None).topics.is_empty());
}

#[test]
fn signals() {
    let a = analyzer();
    let s = |t: &str| a.analyze(t, None).signals;
    assert_eq!(s("Ich werde meinen Vertrag kündigen!"), [Signal::ChurnIntent]);
    assert_eq!(s("Hiermit reiche ich die Kündigung ein."), [Signal::ChurnIntent]);
    assert_eq!(s("Nie wieder bestelle ich bei euch"), [Signal::ChurnIntent]);
    assert_eq!(s("I want to cancel my subscription"), [Signal::ChurnIntent]);
    assert_eq!(s("I'll switch to another provider"), [Signal::ChurnIntent]);
    assert_eq!(s("Bitte dringend zurückrufen"), [Signal::Urgency]);
    assert_eq!(s("Fix this asap"), [Signal::Urgency]);
    assert_eq!(s("Mein Anwalt wird sich melden"), [Signal::LegalThreat]);
    assert_eq!(
        s("Ich werde rechtliche Schritte einleiten und die Verbraucherzentrale informieren"),
        [Signal::LegalThreat]
    );
    assert_eq!(s("We will sue you"), [Signal::LegalThreat]);
    assert_eq!(
        s("Sofort Geld zurück, sonst Anwalt und Kündigung!"),
        [Signal::ChurnIntent, Signal::Urgency, Signal::LegalThreat]
    );
    // Negated and look-alike words do not fire.
    assert!(s("Ich will auf keinen Fall kündigen, nicht kündigen!").is_empty());
    assert!(s("There is an issue with the pursuit").is_empty());
    assert!(s("Alles bestens, danke").is_empty());
}

#[test]
fn serde_shapes() {
    let a = analyzer().analyze("Ich kündige sofort, die Lieferung ist zu spät!", None);
    let json = serde_json::to_value(&a).unwrap_or_default();
    assert_eq!(json["language"], "de");
    assert_eq!(json["sentiment"]["label"], "negative");
    assert!(
        json["sentiment"]["score"]
            .as_f64()
            .is_some_and(|s| (-1.0..0.0).contains(&s))
    );
    assert_eq!(json["signals"][0], "churn_intent");
    assert_eq!(json["signals"][1], "urgency");
    let back: amends_text::Analysis = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, a);
    assert_eq!(
        "positive".parse::<SentimentLabel>().ok(),
        Some(SentimentLabel::Positive)
    );
    let err = "great"
        .parse::<SentimentLabel>()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("negative"), "{err}");
}

#[test]
fn custom_taxonomy() {
    let json = r#"{"topics": [
        {"id": "food", "de": ["essen", "=kalt"], "en": ["food", "cold*"]},
        {"id": "noise", "en": ["noisy", "loud"]}
    ]}"#;
    let tax = Taxonomy::from_json(json).unwrap_or_else(|e| panic!("{e}"));
    let a = analyzer().with_taxonomy(tax.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.analyze("Das Mittagessen war kalt", None).topics, ["food"]);
    assert_eq!(
        a.analyze("The room was loud and the food cold", None).topics,
        ["food", "noise"]
    );
    assert_eq!(Taxonomy::from_json(&tax.to_json()).ok(), Some(tax));
    // Default taxonomy round-trips and has the required topics.
    let d = Taxonomy::default();
    let ids: Vec<&str> = d.ids().collect();
    assert_eq!(
        ids,
        [
            "delivery",
            "billing",
            "product_defect",
            "staff_behaviour",
            "waiting_time",
            "app_website",
            "delay"
        ]
    );
    assert_eq!(Taxonomy::from_json(&d.to_json()).ok(), Some(d));
}

#[test]
fn invalid_taxonomy_errors_say_what_to_fix() {
    let err = |j: &str| Taxonomy::from_json(j).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err(r#"{"topics":[{"id":"a"},{"id":"a"}]}"#).contains("`a` appears twice"));
    assert!(err(r#"{"topics":[{"id":" "}]}"#).contains("empty `id`"));
    let e = err(r#"{"topics":[{"id":"x","de":["a*b"]}]}"#);
    assert!(e.contains("topic `x`") && e.contains("de keyword"), "{e}");
    assert!(err(r#"{"topics": 3}"#).contains("not valid taxonomy JSON"));
}

fn tiny_rows() -> Vec<LabeledRow> {
    let mk = |t: &str, s: SentimentLabel| LabeledRow {
        text: t.to_owned(),
        sentiment: s,
        language: None,
    };
    let mut rows = Vec::new();
    for i in 0..8 {
        rows.push(mk(
            &format!("Paket {i} kam kaputt an, ärgerlich"),
            SentimentLabel::Negative,
        ));
        rows.push(mk(&format!("Bestellung {i} ist unterwegs"), SentimentLabel::Neutral));
        rows.push(mk(&format!("Danke, Lieferung {i} war super"), SentimentLabel::Positive));
    }
    rows
}

fn small_options() -> TrainOptions {
    let mut o = TrainOptions::default();
    o.features.hash_bits = 12;
    o.max_iter = 100;
    o
}

#[test]
fn train_save_load_round_trip() {
    let rows = tiny_rows();
    let model = train(&rows, &small_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.header().trained_rows, rows.len());
    let bytes = model.to_bytes();
    assert!(bytes.starts_with(b"AMTXTMOD"));
    let a = Analyzer::from_model_bytes(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let b = Analyzer::default_model().with_model(model);
    for text in ["Paket kam kaputt an", "Bestellung ist unterwegs", "Danke, super", ""] {
        assert_eq!(a.analyze(text, None), b.analyze(text, None), "{text}");
    }
    assert_eq!(
        a.analyze("Paket 99 kam kaputt an, ärgerlich", None).sentiment.label,
        SentimentLabel::Negative
    );
    assert_eq!(
        a.analyze("Danke, Lieferung 99 war super", None).sentiment.label,
        SentimentLabel::Positive
    );
    // Deterministic.
    let again = train(&rows, &small_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.to_bytes(), bytes);
    let report = evaluate(&a, &rows);
    assert!(report.accuracy > 0.9, "{report}");
}

#[test]
fn wrong_model_files_are_rejected_clearly() {
    let msg = |b: &[u8]| {
        Analyzer::from_model_bytes(b)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(msg(b"").contains("does not start with `AMTXTMOD`"));
    assert!(msg(b"{\"json\": true}").contains("does not start with `AMTXTMOD`"));
    let mut bytes = train(&tiny_rows(), &small_options())
        .map(|m| m.to_bytes())
        .unwrap_or_default();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    assert!(msg(&bytes).contains("checksum"));
    bytes.truncate(n / 3);
    assert!(msg(&bytes).contains("damaged") || msg(&bytes).contains("checksum"));
    let mut future = b"AMTXTMOD".to_vec();
    future.extend_from_slice(&99u32.to_le_bytes());
    future.extend_from_slice(&[0u8; 20]);
    assert!(msg(&future).contains("version 99"));
    assert!(matches!(TrainedModel::from_bytes(b"nope"), Err(TextError::BadModel(_))));
}

#[test]
fn training_errors_say_what_to_fix() {
    let one_class: Vec<LabeledRow> = tiny_rows()
        .into_iter()
        .filter(|r| r.sentiment == SentimentLabel::Neutral)
        .collect();
    let e = train(&one_class, &TrainOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("at least two classes"), "{e}");
    let mut o = TrainOptions::default();
    o.features.hash_bits = 40;
    let e = train(&tiny_rows(), &o).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("hash_bits"), "{e}");
    let e = cross_validate(&tiny_rows(), 1, &TrainOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("at least 2 folds"), "{e}");
}

#[test]
fn cross_validation_pools_all_rows() {
    let rows = tiny_rows();
    let report = cross_validate(&rows, 3, &small_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.n, rows.len());
    assert!(report.accuracy > 0.8, "{report}");
}

#[test]
fn labeled_csv_errors_name_the_column() {
    let e = parse_labeled("text;label\nhallo;positive\n", None, "feedback.csv")
        .err()
        .map(|e| e.to_string());
    let e = e.unwrap_or_default();
    assert!(e.contains("feedback.csv, line 1") && e.contains("`sentiment`"), "{e}");
}

#[test]
fn odd_input_never_panics() {
    let a = analyzer();
    let big = "Die Lieferung war eine Katastrophe! ".repeat(30_000); // ~1 MB
    let odd = [
        "",
        " ",
        "\u{0}\u{1}\u{7f}",
        "🙂🙂🙂😡😡",
        "👨‍👩‍👧‍👦🏳️‍🌈",
        "a\u{301}\u{301}\u{301}",
        "ẞẞẞ ÄÖÜ äöü",
        "\u{202e}gut\u{202c}",
        "!!!!!!!!!!!!!!!!!!!!????????",
        ":) :( :-) <3 </3",
        "\"\"\"'''```",
        "ﷺ ᚠᛇᚻ 𝔊𝔲𝔱 日本語 العربية",
        "not not not not never no none",
        "nicht nicht nicht kein",
        "but but aber aber",
        "\n\n\n\t\r\n",
        "x".repeat(100_000).as_str(),
        big.as_str(),
    ]
    .map(str::to_owned);
    let model = train(&tiny_rows(), &small_options()).unwrap_or_else(|e| panic!("{e}"));
    let trained = analyzer().with_model(model);
    for text in &odd {
        for an in [&a, &trained] {
            let r = an.analyze(text, None);
            assert!((-1.0..=1.0).contains(&r.sentiment.score), "{}", r.sentiment.score);
            let _ = an.detect_language(text);
            let _ = an.explain(text, Some(Language::En));
        }
    }
    assert_eq!(a.analyze(&big, None).sentiment.label, SentimentLabel::Negative);
}

/// Reference 3-class accuracy of the original VADER (Python vaderSentiment
/// 3.3.2, `crates/text/scripts/vader_reference.py`) on the VADER sets.
const VADER_REFERENCE: [(&str, f64); 3] = [
    ("vader-tweets", 0.9110),
    ("vader-movie-reviews", 0.5562),
    ("vader-nyt-editorials", 0.5073),
];

#[test]
fn default_model_on_shared_data() {
    let Some(dir) = find_shared_data_dir() else {
        eprintln!("shared data not found (set AMENDS_SHARED_DATA); skipping");
        return;
    };
    let sets = load_eval_sets(&dir).unwrap_or_else(|e| panic!("{e}"));
    let a = analyzer();
    for set in &sets {
        let report = evaluate(&a, &set.rows);
        eprintln!(
            "{}: accuracy {:.4}, macro-F1 {:.4}",
            set.name, report.accuracy, report.macro_f1
        );
        if let Some((_, vader)) = VADER_REFERENCE.iter().find(|(n, _)| *n == set.name) {
            // The reference is rounded to four places.
            assert!(
                report.accuracy >= *vader - 0.00005,
                "{}: {:.4} below VADER {vader:.4}\n{report}",
                set.name,
                report.accuracy
            );
        }
        if set.name == "germeval2017-dev" {
            // Target of the issue: above the majority baseline (0.687 here).
            // The lexicon alone reached 0.636; lexicon + the shipped German
            // model (trained on amends' own corpus, never on GermEval), in
            // the default audience `public`, reach 0.706 / 0.425. This
            // guards that level.
            assert!(report.micro_f1 > report.majority_baseline, "{report}");
            assert!(report.micro_f1 > 0.70, "{report}");
            assert!(report.macro_f1 > 0.42, "{report}");
        }
    }
}

/// Where a re-implementation most easily departs from VADER 3.3.2: short
/// tokens keep their punctuation (`no!`, `L.`, `#FF` match nothing; `:l` is
/// an emoticon), idioms ("kiss of death", "bus stop") set the valence, and
/// "sort of" dampens. Compounds from the Python package on the same texts.
#[test]
fn english_scores_match_vader_on_its_edge_cases() {
    let cases = [
        ("Oh no!", 0.0),
        ("I lost my fave pen. :l", -0.2732),
        ("That update was the kiss of death for the app.", -0.6124),
        ("I sort of loved the film.", 0.5584),
        ("Thanks for the #FF", 0.4404),
        ("Herbert L. Needleman wrote it.", 0.0),
        ("Waiting at the bus stop again.", 0.0),
    ];
    let a = analyzer();
    for (text, vader) in cases {
        let score = a.sentiment(text, Some(Language::En)).score;
        assert!(
            (f64::from(score) - vader).abs() < 0.001,
            "{text}: {score}, VADER {vader}"
        );
    }
}

/// Feedback comes without a language: English texts with few function
/// words ("Yay! 300 followers =D", "DAMN country BASTARDS!!!") must still be
/// scored as English, as VADER scores them. Scored as German they had no
/// sentiment at all (the VADER tweets fell from 0.911 to 0.870; now within
/// half a point of VADER on every set).
#[test]
fn english_without_a_language_hint_scores_as_vader_does() {
    let Some(dir) = find_shared_data_dir() else {
        eprintln!("shared data not found (set AMENDS_SHARED_DATA); skipping");
        return;
    };
    let sets = load_eval_sets(&dir).unwrap_or_else(|e| panic!("{e}"));
    let a = analyzer();
    for (name, vader) in VADER_REFERENCE {
        let set = sets
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        let rows: Vec<_> = set
            .rows
            .iter()
            .cloned()
            .map(|r| LabeledRow { language: None, ..r })
            .collect();
        let report = evaluate(&a, &rows);
        eprintln!("{name} without hint: accuracy {:.4}", report.accuracy);
        assert!(
            report.accuracy >= vader - 0.006,
            "{name}: {:.4} without a language hint, VADER {vader:.4}",
            report.accuracy
        );
    }
}

#[test]
#[ignore = "slow in debug builds: cargo test --release -p amends-text -- --ignored"]
fn trained_model_cross_validated_on_germeval_reaches_target() {
    let Some(dir) = find_shared_data_dir() else {
        eprintln!("shared data not found (set AMENDS_SHARED_DATA); skipping");
        return;
    };
    let rows = amends_text::read_labeled(&dir.join("germeval2017/dev.tsv")).unwrap_or_else(|e| panic!("{e}"));
    let report = cross_validate(&rows, 5, &TrainOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{report}");
    assert!(report.micro_f1 >= 0.75, "{report}");
}

#[test]
fn threats_to_leave_or_sue_are_never_positive() {
    let a = amends_text::Analyzer::default_model();
    for text in [
        "If I do not get a refund this week I will contact my lawyer.",
        "Ich kündige, der Anwalt ist informiert!",
        "Please cancel my subscription.",
    ] {
        let r = a.analyze(text, None);
        assert_eq!(r.sentiment.label, amends_text::SentimentLabel::Negative, "{text}");
        assert!(r.sentiment.score <= -0.3, "{text}: {}", r.sentiment.score);
    }
}

#[test]
fn direct_audience_on_the_held_out_german_test_sets() {
    // Texts written to companies by three authors whose texts are not in the
    // training corpus (resources/amends/de-test*.tsv); measured: 0.764,
    // 0.845, 0.815.
    let corpus: std::collections::HashSet<String> = shipped_corpus().into_iter().map(|r| r.text).collect();
    for (name, rows_expected, floor) in [
        ("de-test.tsv", 500, 0.74),
        ("de-test-factual.tsv", 400, 0.82),
        ("de-test-survey.tsv", 400, 0.79),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("resources/amends")
            .join(name);
        let rows = amends_text::read_labeled(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows.len(), rows_expected, "{name}");
        assert!(
            rows.iter().all(|r| !corpus.contains(&r.text)),
            "a text of {name} is in the corpus"
        );
        let direct = evaluate(&analyzer().with_audience(Audience::Direct), &rows);
        assert!(direct.accuracy > floor, "{name}: {direct}");
        assert!(direct.accuracy > direct.majority_baseline + 0.2, "{name}: {direct}");
    }
}

fn shipped_corpus() -> Vec<LabeledRow> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/amends/de-feedback.tsv");
    amends_text::read_labeled(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn shipped_german_model_matches_its_corpus() {
    let a = Analyzer::default_model();
    let Some(model) = a.shipped_german_model() else {
        panic!("the embedded resources/amends/de-model.bin does not load; run `eval -- build-default`");
    };
    let rows = shipped_corpus();
    let mut counts = [0usize; 3];
    for r in &rows {
        counts[r.sentiment.index()] += 1;
    }
    let h = model.header();
    assert_eq!(
        h.trained_rows,
        rows.len(),
        "de-model.bin is stale: run `eval -- build-default`"
    );
    assert_eq!(
        h.class_counts, counts,
        "de-model.bin is stale: run `eval -- build-default`"
    );
    assert_eq!(h.features, TrainOptions::shipped_german().features);
    // A user-trained model replaces the shipped German combination.
    let trained = a
        .clone()
        .with_model(train(&tiny_rows(), &small_options()).unwrap_or_else(|e| panic!("{e}")));
    assert!(
        trained
            .model()
            .is_some_and(|m| m.header().trained_rows == tiny_rows().len())
    );
}

#[test]
#[ignore = "slow in debug builds: cargo test --release -p amends-text -- --ignored"]
fn shipped_german_model_is_reproducible() {
    let model = train(&shipped_corpus(), &TrainOptions::shipped_german()).unwrap_or_else(|e| panic!("{e}"));
    let shipped = Analyzer::default_model()
        .shipped_german_model()
        .map(TrainedModel::to_bytes)
        .unwrap_or_default();
    assert!(
        model.to_bytes() == shipped,
        "de-model.bin differs from a fresh training: run `eval -- build-default`"
    );
}

#[test]
fn german_praise_and_complaints_in_everyday_words() {
    for text in [
        "Super Service, die Kollegin an der Hotline hat mir sofort geholfen. Vielen Dank!",
        "Danke für die Hilfe!",
        "Ich bin sehr zufrieden mit dem neuen Tarif.",
        "Die Rückerstattung ging schnell und unkompliziert.",
    ] {
        assert_eq!(label(text), SentimentLabel::Positive, "{text}");
    }
    for text in [
        "Über eine Stunde in der Warteschleife, dann aufgelegt. Unmöglich.",
        "Meine Rechnung ist falsch, bitte korrigieren.",
        "Danke für nichts.",
        "Was für ein Saftladen.",
        "Die Hotline ist seit Tagen nicht erreichbar.",
        "Ich habe am 3. März eine Waschmaschine bestellt. Die Lieferung wurde dreimal verschoben, \
         niemand hat mich informiert und als sie endlich kam, war die Tür beschädigt. \
         Ich bin sehr enttäuscht und erwarte eine Lösung.",
    ] {
        assert_eq!(label(text), SentimentLabel::Negative, "{text}");
    }
}

#[test]
fn german_neutral_texts_with_polar_words_about_other_things() {
    // News, questions and small talk are not opinions about the service.
    for text in [
        "Der neue Fahrplan gilt ab dem 10. Dezember.",
        "Kann ich mein Ticket auch in der App stornieren?",
        "Die Sonne scheint, ich fahre heute mit dem Rad zur Arbeit.",
        // A letter's salutation is no praise.
        "Sehr geehrte Damen und Herren, ich möchte meine Adresse ändern.",
    ] {
        assert_eq!(label(text), SentimentLabel::Neutral, "{text}");
    }
}

/// Plain German feedback written to a company, none of it in the shipped
/// corpus (checked below): what audience `direct` must get right.
const DIRECT_FEEDBACK: [(&str, SentimentLabel); 21] = [
    ("Die Lieferung war eine Katastrophe!", SentimentLabel::Negative),
    (
        "Der Zug hatte schon wieder 40 Minuten Verspätung.",
        SentimentLabel::Negative,
    ),
    ("Unfreundliches Personal, nie wieder.", SentimentLabel::Negative),
    (
        "Mein Paket ist seit zwei Wochen verschwunden und niemand hilft mir.",
        SentimentLabel::Negative,
    ),
    ("Die App stürzt bei jedem Start ab.", SentimentLabel::Negative),
    (
        "Ich warte seit einer Stunde in der Warteschleife.",
        SentimentLabel::Negative,
    ),
    (
        "Die Rechnung ist falsch, mir wurde doppelt abgebucht.",
        SentimentLabel::Negative,
    ),
    ("Schlechter Service, ich bin sehr enttäuscht.", SentimentLabel::Negative),
    ("Das Essen kam kalt und eine Stunde zu spät.", SentimentLabel::Negative),
    ("Immer noch keine Antwort.", SentimentLabel::Negative),
    ("Danke für die Hilfe!", SentimentLabel::Positive),
    (
        "Super Service, vielen Dank für die schnelle Hilfe!",
        SentimentLabel::Positive,
    ),
    ("Der Service war gut.", SentimentLabel::Positive),
    ("Ich bin sehr zufrieden mit dem neuen Tarif.", SentimentLabel::Positive),
    (
        "Die Lieferung kam pünktlich und alles war gut verpackt.",
        SentimentLabel::Positive,
    ),
    (
        "Sehr freundliche Beratung am Telefon, gerne wieder.",
        SentimentLabel::Positive,
    ),
    ("Wann öffnet die Filiale am Samstag?", SentimentLabel::Neutral),
    (
        "Bitte ändern Sie meine Adresse auf Hauptstraße 5.",
        SentimentLabel::Neutral,
    ),
    (
        "Ich möchte meine Bestellung um einen Artikel ergänzen.",
        SentimentLabel::Neutral,
    ),
    (
        "Wie kann ich meine Rechnung online herunterladen?",
        SentimentLabel::Neutral,
    ),
    ("Ab Montag gilt der neue Fahrplan.", SentimentLabel::Neutral),
];

#[test]
fn audience_direct_labels_plain_feedback_to_a_company() {
    let corpus: std::collections::HashSet<String> = shipped_corpus().into_iter().map(|r| r.text).collect();
    let direct = analyzer().with_audience(Audience::Direct);
    assert_eq!(direct.audience(), Audience::Direct);
    for (text, want) in DIRECT_FEEDBACK {
        assert!(!corpus.contains(text), "{text} is in the training corpus");
        let s = direct.sentiment(text, None);
        assert_eq!(s.label, want, "{text}: {s:?}");
        // A polar label has a score of the same sign.
        match want {
            SentimentLabel::Negative => assert!(s.score < 0.0, "{text}: {s:?}"),
            SentimentLabel::Positive => assert!(s.score > 0.0, "{text}: {s:?}"),
            SentimentLabel::Neutral => {}
        }
    }
    // Public posts need lexicon and model to agree: the same complaints
    // without a polar word stay neutral there (the default audience).
    let public = analyzer();
    assert_eq!(public.audience(), Audience::Public);
    for text in [
        "Ich warte seit einer Stunde in der Warteschleife.",
        "Immer noch keine Antwort.",
    ] {
        assert_eq!(public.sentiment(text, None).label, SentimentLabel::Neutral, "{text}");
    }
    // English texts do not depend on the audience.
    for text in [
        "The delivery was a disaster.",
        "Thanks, great help!",
        "Where is your shop?",
    ] {
        assert_eq!(direct.sentiment(text, None), public.sentiment(text, None), "{text}");
    }
}

#[test]
fn repeating_a_complaint_does_not_change_its_label() {
    for audience in [Audience::Direct, Audience::Public] {
        let a = analyzer().with_audience(audience);
        for n in [1, 2, 10, 50, 1000] {
            let text = "Die Lieferung war eine Katastrophe! ".repeat(n);
            assert_eq!(
                a.sentiment(&text, None).label,
                SentimentLabel::Negative,
                "{audience:?}, {n} times"
            );
        }
    }
}

#[test]
fn audience_parses_and_names_itself() {
    assert_eq!("direct".parse::<Audience>().ok(), Some(Audience::Direct));
    assert_eq!(" Public ".parse::<Audience>().ok(), Some(Audience::Public));
    let e = "social"
        .parse::<Audience>()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("`social`") && e.contains("direct") && e.contains("public"),
        "{e}"
    );
    assert_eq!(Audience::default(), Audience::Public);
    for a in [Audience::Direct, Audience::Public] {
        assert_eq!(a.as_str().parse::<Audience>().ok(), Some(a));
        assert_eq!(
            serde_json::to_string(&a).unwrap_or_default(),
            format!("\"{}\"", a.as_str())
        );
    }
}
