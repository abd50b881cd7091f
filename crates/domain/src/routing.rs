//! Routing of new cases to agents by language, tier, skill and load.
//!
//! Each agent may have a [`RoutingProfile`]: the customer languages they
//! handle, their skills (topic ids of the text taxonomy, e.g. `billing`),
//! the tiers they serve (or all), whether they are available, and how many
//! open cases they take at most. [`pick`] chooses among the candidates for
//! one new case: available, speaking the customer's language, serving the
//! case's tier, with fewer open cases than their maximum; those whose
//! skills match one of the case's topics first, then the least loaded,
//! and among equals round-robin after the agent who got the last case.
//! Nobody eligible → `None` (the case stays unassigned).

use crate::customer::Tier;
use crate::error::ValidationError;
use crate::ids::UserId;
use crate::validate::Language;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most open cases a profile may allow.
pub const MAX_OPEN_LIMIT: u32 = 10_000;
/// The most skills per profile.
pub const MAX_SKILLS: usize = 50;

/// How an agent takes part in routing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingProfile {
    /// Customer languages the agent handles (at least one).
    pub languages: Vec<Language>,
    /// Topic ids the agent is good at (may be empty).
    pub skills: Vec<String>,
    /// Tiers served; `None` means all tiers.
    pub tiers: Option<Vec<Tier>>,
    /// Whether new cases may go to the agent now.
    pub available: bool,
    /// At most this many open cases; at the maximum the agent gets no more.
    pub max_open: u32,
}

impl RoutingProfile {
    /// Validates raw input. `known_skills` are the topic ids of the text
    /// taxonomy; an unknown skill names itself and the known ones. An
    /// empty `tiers` list means all tiers, like `None`.
    pub fn parse(
        languages: &[String],
        skills: &[String],
        tiers: Option<&[String]>,
        available: bool,
        max_open: i64,
        known_skills: &[&str],
    ) -> Result<Self, ValidationError> {
        let mut langs: Vec<Language> = Vec::new();
        for l in languages.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let l: Language = l.parse().map_err(|_| {
                ValidationError::new(
                    "languages",
                    format!(
                        "languages must be `de` or `en`, got `{}`",
                        crate::validate::truncate(l, 40)
                    ),
                )
            })?;
            if !langs.contains(&l) {
                langs.push(l);
            }
        }
        if langs.is_empty() {
            return Err(ValidationError::new(
                "languages",
                "languages must name at least one of `de`, `en`",
            ));
        }
        langs.sort_by_key(|l| l.code());
        let mut sk: Vec<String> = Vec::new();
        for s in skills.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            if !known_skills.contains(&s) {
                return Err(ValidationError::new(
                    "skills",
                    format!(
                        "skills must be topic ids; `{}` is unknown, known are {}",
                        crate::validate::truncate(s, 40),
                        known_skills
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            if !sk.iter().any(|k| k == s) {
                sk.push(s.to_string());
            }
        }
        if sk.len() > MAX_SKILLS {
            return Err(ValidationError::new(
                "skills",
                format!("at most {MAX_SKILLS} skills, got {}", sk.len()),
            ));
        }
        sk.sort();
        let tiers = match tiers {
            None => None,
            Some(list) => {
                let mut ts: Vec<Tier> = Vec::new();
                for t in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                    let t: Tier = t
                        .parse()
                        .map_err(|e: ValidationError| ValidationError::new("tiers", e.message))?;
                    if !ts.contains(&t) {
                        ts.push(t);
                    }
                }
                ts.sort();
                (!ts.is_empty() && ts.len() < Tier::ALL.len()).then_some(ts)
            }
        };
        let max_open = u32::try_from(max_open)
            .ok()
            .filter(|m| (1..=MAX_OPEN_LIMIT).contains(m))
            .ok_or_else(|| {
                ValidationError::new(
                    "max_open",
                    format!("max_open must be 1 to {MAX_OPEN_LIMIT}, got {max_open}"),
                )
            })?;
        Ok(Self {
            languages: langs,
            skills: sk,
            tiers,
            available,
            max_open,
        })
    }

    /// Whether the agent serves `tier`.
    #[must_use]
    pub fn serves(&self, tier: Tier) -> bool {
        self.tiers.as_ref().is_none_or(|ts| ts.contains(&tier))
    }
}

/// One agent who might get the case, with their open cases now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: UserId,
    pub profile: RoutingProfile,
    /// Open cases assigned to the agent now.
    pub open_load: u32,
}

/// What the new case asks for.
#[derive(Debug, Clone, Copy)]
pub struct CaseNeeds<'a> {
    /// The customer's language.
    pub language: Language,
    /// The customer's tier (the case's tier).
    pub tier: Tier,
    /// Topic ids found in the case's text (may be empty).
    pub topics: &'a [String],
}

/// Why the agent got the case (stored on the timeline, shown in the UI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteReason {
    pub language: Language,
    pub tier: Tier,
    /// The case's topics the agent has as skills (empty: nobody eligible matched).
    pub skills: Vec<String>,
    /// Open cases of the agent before this one.
    pub open_load: u32,
    pub max_open: u32,
    /// How many agents were eligible.
    pub eligible: usize,
    /// How many of them were equally good (same skill match and load).
    pub tied: usize,
}

impl fmt::Display for RouteReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "speaks {}, serves {}", self.language.code(), self.tier)?;
        if !self.skills.is_empty() {
            write!(f, ", skills {}", self.skills.join(", "))?;
        }
        write!(
            f,
            "; {} of at most {} open cases, least loaded of {} eligible",
            self.open_load, self.max_open, self.eligible
        )?;
        if self.tied > 1 {
            write!(f, "; next in turn among {} equals", self.tied)?;
        }
        Ok(())
    }
}

/// The routing decision for one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub user_id: UserId,
    pub reason: RouteReason,
}

/// Whether `c` may take a case that needs `needs`.
#[must_use]
pub fn eligible(c: &Candidate, needs: &CaseNeeds<'_>) -> bool {
    c.profile.available
        && c.open_load < c.profile.max_open
        && c.profile.languages.contains(&needs.language)
        && c.profile.serves(needs.tier)
}

fn matched_skills(c: &Candidate, needs: &CaseNeeds<'_>) -> Vec<String> {
    let mut m: Vec<String> = needs
        .topics
        .iter()
        .filter(|t| c.profile.skills.iter().any(|s| s == *t))
        .cloned()
        .collect();
    m.sort();
    m.dedup();
    m
}

/// Picks the agent for a new case among `candidates`, or `None` when
/// nobody is eligible. `last` is the agent who got the previous routed
/// case: among equally good agents (same skill match, same load) the one
/// after `last` in id order gets it, wrapping around.
#[must_use]
pub fn pick(candidates: &[Candidate], needs: &CaseNeeds<'_>, last: Option<UserId>) -> Option<Routed> {
    let pool: Vec<(&Candidate, Vec<String>)> = candidates
        .iter()
        .filter(|c| eligible(c, needs))
        .map(|c| (c, matched_skills(c, needs)))
        .collect();
    // Rank: skill match first (any matching skill), then the lower load.
    let rank = |(c, m): &(&Candidate, Vec<String>)| (m.is_empty(), c.open_load);
    let best = pool.iter().map(rank).min()?;
    let mut equals: Vec<&(&Candidate, Vec<String>)> = pool.iter().filter(|e| rank(e) == best).collect();
    equals.sort_by_key(|(c, _)| c.user_id);
    equals.dedup_by_key(|(c, _)| c.user_id);
    let next = last
        .and_then(|l| equals.iter().find(|(c, _)| c.user_id > l))
        .or_else(|| equals.first())?;
    let (c, skills) = *next;
    Some(Routed {
        user_id: c.user_id,
        reason: RouteReason {
            language: needs.language,
            tier: needs.tier,
            skills: skills.clone(),
            open_load: c.open_load,
            max_open: c.profile.max_open,
            eligible: pool.len(),
            tied: equals.len(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn uid(n: u128) -> UserId {
        UserId(Uuid::from_u128(n))
    }

    fn profile(langs: &[Language], skills: &[&str], tiers: Option<Vec<Tier>>, max_open: u32) -> RoutingProfile {
        RoutingProfile {
            languages: langs.to_vec(),
            skills: skills.iter().map(|s| (*s).to_string()).collect(),
            tiers,
            available: true,
            max_open,
        }
    }

    fn cand(n: u128, p: RoutingProfile, load: u32) -> Candidate {
        Candidate {
            user_id: uid(n),
            profile: p,
            open_load: load,
        }
    }

    const KNOWN: &[&str] = &["billing", "delivery"];

    #[test]
    fn parse_validates_each_field() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
        let p = RoutingProfile::parse(
            &s(&["en", "de", "de"]),
            &s(&["delivery", "billing"]),
            None,
            true,
            5,
            KNOWN,
        )
        .expect("valid");
        assert_eq!(p.languages, vec![Language::De, Language::En]);
        assert_eq!(p.skills, vec!["billing", "delivery"]);
        assert_eq!(p.tiers, None);
        assert_eq!(
            RoutingProfile::parse(&s(&[]), &[], None, true, 5, KNOWN)
                .expect_err("invalid")
                .field,
            "languages"
        );
        assert_eq!(
            RoutingProfile::parse(&s(&["fr"]), &[], None, true, 5, KNOWN)
                .expect_err("invalid")
                .field,
            "languages"
        );
        let e = RoutingProfile::parse(&s(&["de"]), &s(&["cooking"]), None, true, 5, KNOWN).expect_err("invalid");
        assert_eq!(e.field, "skills");
        assert!(
            e.message.contains("`cooking`") && e.message.contains("`billing`"),
            "{}",
            e.message
        );
        assert_eq!(
            RoutingProfile::parse(&s(&["de"]), &[], Some(&s(&["gold"])), true, 5, KNOWN)
                .expect_err("invalid")
                .field,
            "tiers"
        );
        for bad in [0, -1, i64::from(MAX_OPEN_LIMIT) + 1] {
            assert_eq!(
                RoutingProfile::parse(&s(&["de"]), &[], None, true, bad, KNOWN)
                    .expect_err("invalid")
                    .field,
                "max_open"
            );
        }
        let p = RoutingProfile::parse(&s(&["de"]), &[], Some(&s(&["premium"])), false, 1, KNOWN).expect("valid");
        assert_eq!(p.tiers, Some(vec![Tier::Premium]));
        assert!(p.serves(Tier::Premium) && !p.serves(Tier::Standard));
        // Every tier, or none named, means all.
        let all = RoutingProfile::parse(
            &s(&["de"]),
            &[],
            Some(&s(&["standard", "premium", "enterprise"])),
            true,
            1,
            KNOWN,
        )
        .expect("valid");
        assert_eq!(all.tiers, None);
        let none = RoutingProfile::parse(&s(&["de"]), &[], Some(&[]), true, 1, KNOWN).expect("valid");
        assert_eq!(none.tiers, None);
    }

    #[test]
    fn filters_by_language_tier_availability_and_capacity() {
        let de = profile(&[Language::De], &[], None, 5);
        let en = profile(&[Language::En], &[], None, 5);
        let premium_only = profile(&[Language::De], &[], Some(vec![Tier::Premium]), 5);
        let mut away = profile(&[Language::De], &[], None, 5);
        away.available = false;
        let cands = vec![
            cand(1, en, 0),
            cand(2, premium_only, 0),
            cand(3, away, 0),
            cand(4, de.clone(), 5), // full
            cand(5, de, 4),
        ];
        let needs = CaseNeeds {
            language: Language::De,
            tier: Tier::Standard,
            topics: &[],
        };
        let r = pick(&cands, &needs, None).expect("someone");
        assert_eq!(r.user_id, uid(5));
        assert_eq!(r.reason.eligible, 1);
        assert_eq!(r.reason.open_load, 4);
        let premium = CaseNeeds {
            tier: Tier::Premium,
            ..needs
        };
        assert_eq!(pick(&cands, &premium, None).expect("someone").user_id, uid(2));
        let english_enterprise = CaseNeeds {
            language: Language::En,
            tier: Tier::Enterprise,
            topics: &[],
        };
        assert_eq!(
            pick(&cands, &english_enterprise, None).expect("someone").user_id,
            uid(1)
        );
        assert_eq!(
            pick(&cands[..4], &needs, None),
            None,
            "nobody eligible stays unassigned"
        );
        assert_eq!(pick(&[], &needs, None), None);
    }

    #[test]
    fn skill_match_beats_load_and_least_loaded_wins_otherwise() {
        let plain = profile(&[Language::De], &[], None, 10);
        let billing = profile(&[Language::De], &["billing"], None, 10);
        let cands = vec![cand(1, plain.clone(), 0), cand(2, billing, 3), cand(3, plain, 1)];
        let topics = vec!["billing".to_string(), "delivery".to_string()];
        let needs = CaseNeeds {
            language: Language::De,
            tier: Tier::Standard,
            topics: &topics,
        };
        let r = pick(&cands, &needs, None).expect("someone");
        assert_eq!(r.user_id, uid(2));
        assert_eq!(r.reason.skills, vec!["billing"]);
        assert_eq!(
            r.to_string_reason(),
            "speaks de, serves standard, skills billing; 3 of at most 10 open cases, least loaded of 3 eligible"
        );
        let no_topic = CaseNeeds { topics: &[], ..needs };
        let r = pick(&cands, &no_topic, None).expect("someone");
        assert_eq!(r.user_id, uid(1), "without topics the least loaded");
        assert!(r.reason.skills.is_empty());
    }

    impl Routed {
        fn to_string_reason(&self) -> String {
            self.reason.to_string()
        }
    }

    #[test]
    fn round_robin_among_equals() {
        let p = profile(&[Language::De], &[], None, 10);
        let cands = vec![
            cand(3, p.clone(), 2),
            cand(1, p.clone(), 2),
            cand(2, p.clone(), 2),
            cand(9, p, 5),
        ];
        let needs = CaseNeeds {
            language: Language::De,
            tier: Tier::Standard,
            topics: &[],
        };
        assert_eq!(pick(&cands, &needs, None).expect("x").user_id, uid(1));
        assert_eq!(pick(&cands, &needs, Some(uid(1))).expect("x").user_id, uid(2));
        let r = pick(&cands, &needs, Some(uid(2))).expect("x");
        assert_eq!(r.user_id, uid(3));
        assert_eq!(r.reason.tied, 3);
        assert_eq!(
            pick(&cands, &needs, Some(uid(3))).expect("x").user_id,
            uid(1),
            "wraps around"
        );
        assert_eq!(pick(&cands, &needs, Some(uid(9))).expect("x").user_id, uid(1));
    }

    fn arb_candidate() -> impl Strategy<Value = Candidate> {
        (
            1u128..20,
            prop::sample::subsequence(vec![Language::De, Language::En], 0..=2),
            prop::sample::subsequence(vec!["billing", "delivery", "delay"], 0..=3),
            prop::option::of(prop::sample::subsequence(Tier::ALL.to_vec(), 1..=3)),
            any::<bool>(),
            1u32..6,
            0u32..8,
        )
            .prop_map(|(id, langs, skills, tiers, available, max_open, load)| Candidate {
                user_id: uid(id),
                profile: RoutingProfile {
                    languages: langs,
                    skills: skills.into_iter().map(str::to_string).collect(),
                    tiers,
                    available,
                    max_open,
                },
                open_load: load,
            })
    }

    proptest! {
        /// The pick is eligible, nobody eligible is preferred over it, and
        /// `None` only when nobody is eligible.
        #[test]
        fn pick_is_eligible_and_best(
            cands in prop::collection::vec(arb_candidate(), 0..12),
            de in any::<bool>(),
            tier in prop::sample::select(Tier::ALL.to_vec()),
            topics in prop::sample::subsequence(vec!["billing", "delivery", "waiting_time"], 0..=3),
            last in prop::option::of(1u128..20),
        ) {
            // One candidate per agent (as the store gives them).
            let mut cands = cands;
            for (i, c) in cands.iter_mut().enumerate() {
                c.user_id = uid(i as u128 + 1);
            }
            let topics: Vec<String> = topics.into_iter().map(str::to_string).collect();
            let needs = CaseNeeds { language: if de { Language::De } else { Language::En }, tier, topics: &topics };
            let picked = pick(&cands, &needs, last.map(uid));
            let any_eligible = cands.iter().any(|c| eligible(c, &needs));
            prop_assert_eq!(picked.is_some(), any_eligible);
            if let Some(r) = picked {
                let winner = cands.iter().find(|c| c.user_id == r.user_id && eligible(c, &needs)).expect("from the list");
                let key = |c: &Candidate| (matched_skills(c, &needs).is_empty(), c.open_load);
                for c in cands.iter().filter(|c| eligible(c, &needs)) {
                    prop_assert!(key(winner) <= key(c));
                }
                prop_assert!(r.reason.tied >= 1 && r.reason.tied <= r.reason.eligible);
            }
        }

        /// Routing N cases one after another among equals (loads kept
        /// equal) gives each equal agent a case before anyone gets a second.
        #[test]
        fn round_robin_is_fair(n in 1usize..8, rounds in 1usize..4) {
            let p = RoutingProfile { languages: vec![Language::De], skills: vec![], tiers: None, available: true, max_open: 100 };
            let cands: Vec<Candidate> = (0..n).map(|i| cand(i as u128 + 1, p.clone(), 0)).collect();
            let needs = CaseNeeds { language: Language::De, tier: Tier::Standard, topics: &[] };
            let mut last = None;
            let mut got = std::collections::BTreeMap::new();
            for _ in 0..n * rounds {
                let r = pick(&cands, &needs, last).expect("someone");
                *got.entry(r.user_id).or_insert(0usize) += 1;
                last = Some(r.user_id);
            }
            prop_assert_eq!(got.len(), n);
            prop_assert!(got.values().all(|v| *v == rounds));
        }
    }
}
