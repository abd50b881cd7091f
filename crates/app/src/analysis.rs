//! Where the use cases meet the text analytics: the one place that maps
//! between the domain's language and sentiment types and those of
//! `amends-text` (which depends on nothing), and picks the audience of a
//! text by its channel.

use amends_domain::feedback::SentimentLabel;
use amends_domain::{Channel, Language};

/// Who a feedback text was written for: social-media posts mention the
/// company in public; everything else (widget, e-mail, survey, chat, phone
/// notes, API, CSV) was written to it. See `amends_text::Audience`.
pub fn audience_of(channel: Channel) -> amends_text::Audience {
    match channel {
        Channel::Social => amends_text::Audience::Public,
        _ => amends_text::Audience::Direct,
    }
}

pub fn to_text_lang(l: Language) -> amends_text::Language {
    match l {
        Language::De => amends_text::Language::De,
        Language::En => amends_text::Language::En,
    }
}

pub fn from_text_lang(l: amends_text::Language) -> Language {
    match l {
        amends_text::Language::De => Language::De,
        amends_text::Language::En => Language::En,
    }
}

pub fn from_text_sentiment(l: amends_text::SentimentLabel) -> SentimentLabel {
    match l {
        amends_text::SentimentLabel::Negative => SentimentLabel::Negative,
        amends_text::SentimentLabel::Neutral => SentimentLabel::Neutral,
        amends_text::SentimentLabel::Positive => SentimentLabel::Positive,
    }
}

/// The topic ids of the taxonomy the analyser uses (the built-in one), in
/// taxonomy order.
#[must_use]
pub fn topic_ids() -> Vec<String> {
    amends_text::Taxonomy::default().ids().map(str::to_string).collect()
}
