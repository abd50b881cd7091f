//! Settings → Templates: reply templates per purpose and language (leads
//! and admins change them, everyone reads), and the template picker on the
//! case page (active templates in the customer's language, rendered for the
//! case).

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfForm;
use crate::ui::forms::IdButton;
use crate::ui::session::UiUser;
use amends_app::templates::{self, render_template, values_for_case};
use amends_domain::template::{PlaceholderProblem, TemplateDraft, TemplatePurpose, VARIABLES, problem};
use amends_domain::{Language, Permission};
use amends_store::{Case, ReplyTemplate, TemplateFilter};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The create/edit form as typed.
#[derive(Debug, Deserialize, Serialize)]
pub struct TemplateForm {
    /// Empty when creating.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    pub active: Option<String>,
}

impl TemplateForm {
    fn empty() -> Self {
        Self {
            id: String::new(),
            name: String::new(),
            purpose: TemplatePurpose::Reply.as_str().into(),
            language: Language::De.code().into(),
            subject: String::new(),
            body: String::new(),
            active: Some("on".into()),
        }
    }

    fn of(t: &ReplyTemplate) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.clone(),
            purpose: t.purpose.as_str().into(),
            language: t.language.code().into(),
            subject: t.subject.clone(),
            body: t.body.clone(),
            active: t.active.then(|| "on".into()),
        }
    }
}

/// An error shown next to a field: a catalogue key and the variable it names.
#[derive(Debug, Serialize)]
struct FieldError {
    key: &'static str,
    var: String,
}

fn field_error(field: &str, text: &str) -> FieldError {
    let (key, var) = match (field, problem(text)) {
        ("subject" | "body", Some(PlaceholderProblem::Unknown(v))) => ("err-template-unknown-variable", v),
        ("subject" | "body", Some(PlaceholderProblem::Unclosed(_))) => ("err-template-unclosed", String::new()),
        ("name", _) => ("err-template-name", String::new()),
        ("subject", _) => ("err-template-subject", String::new()),
        ("body", _) => ("err-template-body", String::new()),
        _ => ("err-invalid", String::new()),
    };
    FieldError { key, var }
}

async fn render(
    state: &AppState,
    ui: &UiUser,
    form: &TemplateForm,
    errors: &BTreeMap<String, FieldError>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let templates = state.store().list_templates(TemplateFilter::default()).await?;
    let html = ui.render(
        state,
        "templates.html",
        context! {
            nav => "settings",
            templates => Value::from_serialize(&templates),
            form => Value::from_serialize(form),
            errors => Value::from_serialize(errors),
            can_manage => ui.user.role.can(Permission::ManageTemplates),
            purposes => TemplatePurpose::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            languages => Language::ALL.iter().map(|l| l.code()).collect::<Vec<_>>(),
            variables => VARIABLES.iter().map(|v| format!("{{{{{v}}}}}")).collect::<Vec<_>>(),
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET /settings/templates`: the list and an empty form.
pub async fn page(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    render(&state, &ui, &TemplateForm::empty(), &BTreeMap::new(), StatusCode::OK).await
}

/// `GET /settings/templates/{id}`: the list and the form filled for editing.
pub async fn edit(State(state): State<AppState>, ui: UiUser, Path(id): Path<Uuid>) -> Result<Response, UiError> {
    let t = state.store().get_template(id).await?;
    render(&state, &ui, &TemplateForm::of(&t), &BTreeMap::new(), StatusCode::OK).await
}

/// `POST /settings/templates`: create, or replace when the form has an id.
pub async fn save(State(state): State<AppState>, CsrfForm(ui, f): CsrfForm<TemplateForm>) -> Result<Response, UiError> {
    let id = if f.id.trim().is_empty() {
        None
    } else {
        Some(
            f.id.trim()
                .parse::<Uuid>()
                .map_err(|_| UiError::BadRequest("id must be a UUID".into()))?,
        )
    };
    let draft = match TemplateDraft::parse(
        &f.name,
        &f.purpose,
        &f.language,
        &f.subject,
        &f.body,
        f.active.is_some(),
    ) {
        Ok(d) => d,
        Err(e) => {
            let text = match e.field.as_str() {
                "subject" => f.subject.as_str(),
                "body" => f.body.as_str(),
                _ => "",
            };
            let mut errors = BTreeMap::new();
            errors.insert(e.field.clone(), field_error(&e.field, text));
            return render(&state, &ui, &f, &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    templates::save(&state, id, &draft, ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/templates", "flash-saved"))
}

/// `POST /settings/templates/{id}/delete`.
pub async fn delete(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    templates::delete(&state, id, ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/templates", "flash-deleted"))
}

/// The case page's template picker: active templates in the customer's
/// language, rendered for `case` and the signed-in agent.
pub async fn case_picker(state: &AppState, ui: &UiUser, case: &Case) -> Result<Vec<Value>, UiError> {
    let templates = state
        .store()
        .list_templates(TemplateFilter {
            language: Some(case.customer_language),
            active_only: true,
            ..TemplateFilter::default()
        })
        .await?;
    if templates.is_empty() {
        return Ok(Vec::new());
    }
    let mut values = values_for_case(state.store(), &state.config().base_url, case, &ui.user.display_name).await?;
    values.fair_url = Some(amends_app::fair::link(state, case.id));
    // The suggested purpose first (stable order otherwise), marked as such.
    let suggested = amends_domain::template::suggested_purpose(case.state, case.first_responded_at.is_some());
    let mut templates = templates;
    templates.sort_by_key(|t| t.purpose != suggested);
    Ok(templates
        .iter()
        .map(|t| {
            let r = render_template(t, &values);
            context! { id => t.id, name => t.name.clone(), purpose => t.purpose.as_str(), body => r.body, subject => r.subject,
            suggested => t.purpose == suggested }
        })
        .collect())
}

/// The picker entry a link asked for (`?template=`): that template if the
/// picker has it (the customer's language), else the first of the same
/// purpose in the customer's language.
pub async fn prefilled(state: &AppState, picker: &[Value], asked: Option<Uuid>) -> Result<Option<Value>, UiError> {
    let Some(asked) = asked else { return Ok(None) };
    let id_of = |v: &Value| v.get_attr("id").ok().map(|i| i.to_string());
    if let Some(v) = picker.iter().find(|v| id_of(v) == Some(asked.to_string())) {
        return Ok(Some(v.clone()));
    }
    let purpose = match state.store().get_template(asked).await {
        Ok(t) => t.purpose.as_str(),
        Err(amends_store::StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(picker
        .iter()
        .find(|v| v.get_attr("purpose").ok().is_some_and(|p| p.as_str() == Some(purpose)))
        .cloned())
}

#[cfg(test)]
mod tests {
    use super::field_error;
    use amends_i18n::catalog::{DE_FTL, EN_FTL, I18n};

    #[test]
    fn every_template_form_error_has_a_translation() {
        let (de, en) = (I18n::keys(DE_FTL), I18n::keys(EN_FTL));
        for (field, text) in [
            ("name", ""),
            ("subject", "x"),
            ("body", ""),
            ("body", "{{nope}}"),
            ("subject", "{{customer_name"),
            ("purpose", ""),
        ] {
            let e = field_error(field, text);
            let k = e.key.to_string();
            assert!(de.contains(&k) && en.contains(&k), "missing {k}");
        }
        let e = field_error("body", "Hallo {{nope}}");
        assert_eq!((e.key, e.var.as_str()), ("err-template-unknown-variable", "nope"));
        assert_eq!(field_error("subject", "{{a").key, "err-template-unclosed");
    }
}
