//! `amends customers export|erase|merge`: the data-protection rights of a
//! customer (GDPR Art. 15, 17, 20) from the command line, for requests
//! that reach the operator rather than the UI, and the merge of a
//! duplicate customer. Each is audited under the user named by `--user`,
//! who needs the same permission as in the UI (export and merge: lead or
//! admin; erase: admin).

use amends_app::App;
use amends_app::{customer_merge, privacy};
use amends_domain::{CustomerId, Permission, UserId};
use clap::Subcommand;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum CustomersCommand {
    /// Write everything amends holds about a customer as one JSON document
    /// (the same as `GET /api/v1/customers/{id}/export`), to standard output
    /// or --out FILE
    Export {
        /// The customer's id (see the customer page or `GET /api/v1/customers`)
        id: String,
        /// Write to this new file instead of standard output
        #[arg(long)]
        out: Option<PathBuf>,
        /// Record the export as done by this user (login name; lead or admin)
        #[arg(long)]
        user: String,
    },
    /// Erase a customer's personal data (the same as
    /// `POST /api/v1/customers/{id}/erase`): names, addresses and texts go,
    /// the figures of the analytics stay; a second run changes nothing
    Erase {
        /// The customer's id
        id: String,
        /// The customer's present name or id, typed again to confirm
        #[arg(long)]
        confirm: String,
        /// Record the erasure as done by this user (login name; admin)
        #[arg(long)]
        user: String,
    },
    /// Merge the customer DUPLICATE_ID into KEEP_ID (the same as
    /// `POST /api/v1/customers/{KEEP_ID}/merge`): its cases, feedback,
    /// surveys, goodwill, incident rows and messages move to KEEP_ID, which
    /// keeps its id; DUPLICATE_ID is deleted. Cannot be undone
    Merge {
        /// The customer that stays
        keep_id: String,
        /// The customer merged into it
        duplicate_id: String,
        /// Record the merge as done by this user (login name; lead or admin)
        #[arg(long)]
        user: String,
    },
}

/// The customer id in `text`, or an error that says where to find one.
fn customer_id(text: &str) -> anyhow::Result<CustomerId> {
    uuid::Uuid::parse_str(text.trim()).map(CustomerId).map_err(|_| {
        anyhow::anyhow!(
            "`{text}` is not a customer id (a UUID such as 0194a000-0000-7000-8000-000000000001); \
             find it on the customer's page or with GET /api/v1/customers?q=NAME"
        )
    })
}

/// The user `name`, if they hold `permission`.
async fn actor(state: &App, name: &str, permission: Permission, what: &str) -> anyhow::Result<UserId> {
    let user = state.store().get_user_by_username(name).await.map_err(|_| {
        anyhow::anyhow!("no user named `{name}`; create one with `amends user create --name {name} --role admin`")
    })?;
    if !user.active || !user.role.can(permission) {
        anyhow::bail!("`{name}` ({}) may not {what}", user.role.as_str());
    }
    Ok(user.id)
}

/// A use case's error in words for the operator.
fn explained(e: amends_app::AppError) -> anyhow::Error {
    match e {
        amends_app::AppError::NotFound(what) if what == "customer" => {
            anyhow::anyhow!("no customer with this id; find one with GET /api/v1/customers?q=NAME")
        }
        amends_app::AppError::NotFound(what) => anyhow::anyhow!("no {what} with this id"),
        e => anyhow::anyhow!(e.for_operator()),
    }
}

pub async fn run(cmd: &CustomersCommand, state: &App) -> anyhow::Result<()> {
    match cmd {
        CustomersCommand::Export { id, out, user } => {
            let id = customer_id(id)?;
            let who = actor(state, user, Permission::ExportPersonalData, "export personal data").await?;
            // Open the file first: a path that cannot be written records no export.
            let mut sink: Box<dyn Write> = match out {
                Some(path) => Box::new(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(path)
                        .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", path.display()))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            let export = privacy::export_customer(state, id, who).await.map_err(explained)?;
            serde_json::to_writer_pretty(&mut sink, &export)?;
            writeln!(sink)?;
            sink.flush()?;
            if let Some(path) = out {
                eprintln!(
                    "exported customer {id}: {} cases, {} feedback, {} attachments to {}",
                    export.cases.len(),
                    export.feedback.len(),
                    export.attachments.len(),
                    path.display()
                );
            }
            Ok(())
        }
        CustomersCommand::Erase { id, confirm, user } => {
            let id = customer_id(id)?;
            let who = actor(state, user, Permission::ErasePersonalData, "erase personal data").await?;
            let out = privacy::erase_customer(state, id, confirm, who)
                .await
                .map_err(explained)?;
            if out.erased_now {
                let c = out.changed;
                println!(
                    "erased customer {id}: {} cases, {} feedback, {} surveys, {} goodwill grants, {} attachments changed",
                    c.cases, c.feedback, c.surveys, c.grants, c.attachments
                );
            } else {
                println!("customer {id} was erased before; nothing changed");
            }
            Ok(())
        }
        CustomersCommand::Merge {
            keep_id,
            duplicate_id,
            user,
        } => {
            let keep = customer_id(keep_id)?;
            let dup = customer_id(duplicate_id)?;
            let who = actor(state, user, Permission::MergeCustomers, "merge customers").await?;
            let (c, n) = customer_merge::merge(state, keep, dup, who).await.map_err(explained)?;
            println!(
                "merged customer {dup} into {keep} ({}): moved {} cases, {} feedback, {} surveys, \
                 {} goodwill grants, {} incident rows, {} outbox jobs",
                c.name, n.cases, n.feedback, n.surveys, n.grants, n.incidents, n.jobs
            );
            Ok(())
        }
    }
}
