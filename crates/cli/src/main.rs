//! The `amends` command line. Parses flags, loads the configuration and
//! calls into the server crate; nothing clever lives here.

mod bench;
mod bench_http;
mod customers;
mod import;
mod text;

/// mimalloc instead of the C library's allocator: the fan-out and the
/// bulk paths allocate many small strings (bound values, rows), and glibc's
/// malloc/free took about a sixth of their CPU time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use amends_app::error::AppError;
use amends_app::quarantine::{Source, Taken};
use amends_app::service::{self, UserInput};
use amends_app::{Clock, Config, Overrides};
use amends_devtools::demo::{self, DemoOptions};
use amends_store::Store;
use amends_web::Application;
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "amends",
    version,
    about = "Service recovery: find the customers you failed, win them back, prove it pays."
)]
struct Cli {
    /// Database URL: sqlite://amends.db (default) or postgres://user@host/db
    #[arg(long, global = true, env = "AMENDS_DATABASE_URL")]
    database_url: Option<String>,
    /// Configuration file (default: ./amends.toml if it exists)
    #[arg(long, global = true, env = "AMENDS_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI and API (applies migrations first)
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port)
        #[arg(long, env = "AMENDS_BIND")]
        bind: Option<String>,
        /// Fill an empty database with demo data and print the demo login
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit
    Migrate,
    /// Write a consistent copy of the SQLite database to a new FILE while
    /// amends may keep serving (PostgreSQL: use pg_dump, see docs/OPERATIONS.md)
    Backup {
        /// The backup file to create
        file: PathBuf,
    },
    /// Check a backup FILE and put it in place of the SQLite database, then
    /// migrate it; stop amends first (PostgreSQL: use pg_restore)
    Restore {
        /// The backup file written by `amends backup`
        file: PathBuf,
        /// Replace an existing database
        #[arg(long)]
        force: bool,
    },
    /// Fill the database with a realistic, seeded demo data set
    Demo(DemoArgs),
    /// Manage users
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// A customer's data-protection rights: export and erase their data
    #[command(subcommand)]
    Customers(customers::CustomersCommand),
    /// Run benchmarks and print figures and ratios (see docs/BENCHMARKS.md)
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Import data from files
    #[command(subcommand)]
    Import(ImportCommand),
    /// Text analytics: classify, train and evaluate sentiment models
    #[command(subcommand)]
    Text(text::TextCommand),
    /// Email in
    #[command(subcommand)]
    Mail(MailCommand),
}

#[derive(Subcommand)]
enum MailCommand {
    /// Take one RFC 822 message from standard input (for an MTA pipe, e.g.
    /// `service: "|amends mail ingest"` in /etc/aliases). A reply threads
    /// onto its case; other mail becomes feedback that runs through
    /// detection; auto-replies and bounces open nothing.
    Ingest,
    /// Poll the IMAP mailbox of `imap_url` once: take its unseen messages
    /// like `ingest`, then mark them seen. Prints how many were ingested.
    Poll,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import feedback from CSV with a header row: text and customer_email or
    /// customer_id, optional customer_name, channel (default csv), rating
    /// (1-5), language (de|en); other columns are kept as source metadata.
    /// Text analytics and detection rules run on every row; rows with
    /// problems are listed (row, field, message) and skipped. The file is
    /// streamed in chunks; progress (rows/s, ETA) goes to standard error.
    /// Running it again with the same file adds nothing twice: each row's
    /// key is its external_id column, else a hash of its content.
    Feedback {
        /// The CSV file (`-` reads standard input)
        file: PathBuf,
        /// Record the import as done by this user (login name)
        #[arg(long)]
        user: Option<String>,
    },
    /// Add the affected customers of an incident from a CSV file (header:
    /// customer_external_id plus one column per fact, e.g. delay_minutes,
    /// order_id, amount) or a JSON array (--json). The file is streamed, not
    /// loaded whole; each new customer gets a proactive case, a message in
    /// their language and the goodwill the rules grant. Running it again
    /// with the same file adds nobody twice (and resumes an interrupted run).
    Affected {
        /// The incident id (see `GET /api/v1/incidents` or the incident page)
        incident: uuid::Uuid,
        /// The file (`-` reads standard input)
        file: PathBuf,
        /// The file is a JSON array of {customer_external_id, facts}
        #[arg(long)]
        json: bool,
        /// Record the upload as done by this user (login name); default: who declared the incident
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Args)]
struct DemoArgs {
    /// Number of customers
    #[arg(long, default_value_t = 400)]
    customers: usize,
    /// Number of recovery cases (spread over 18 months)
    #[arg(long, default_value_t = 1500)]
    cases: usize,
    /// Random seed: the same seed gives the same data
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; asks for the password or reads it with --password-stdin
    Create {
        /// Login name (letters, digits, . _ - @)
        #[arg(long)]
        name: String,
        /// agent, lead or admin
        #[arg(long, default_value = "agent")]
        role: String,
        /// Name shown in the UI (default: the login name)
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// de or en
        #[arg(long, default_value = "de")]
        language: String,
        /// Read the password from standard input instead of asking
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; prints the token alone on the last line
    Create {
        /// The user's login name
        #[arg(long)]
        user: String,
        /// A name to recognise the token by
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AMENDS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only on a terminal; a log file or a pipe gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<TempFail>().is_some() {
                ExitCode::from(EX_TEMPFAIL)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// sysexits' "temporary failure": an MTA keeps the message and retries.
const EX_TEMPFAIL: u8 = 75;

/// A failure worth retrying (the database is unavailable): exit [`EX_TEMPFAIL`].
#[derive(Debug)]
struct TempFail(String);

impl std::fmt::Display for TempFail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (temporary: try again later)", self.0)
    }
}

impl std::error::Error for TempFail {}

fn load_config(cli: &Cli, bind: Option<String>) -> anyhow::Result<Config> {
    let overrides = Overrides {
        database_url: cli.database_url.clone(),
        bind,
    };
    Config::load(cli.config.as_deref(), &overrides).map_err(|e| anyhow::anyhow!("{e}"))
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url, config.durability)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database `{}`: {e}", config.database_url))?;
    store.migrate().await?;
    Ok(store)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let clock = Clock::System;
    match &cli.command {
        Command::Serve { bind, demo } => {
            let config = load_config(&cli, bind.clone())?;
            let store = open_store(&config).await?;
            // Feedback, articles and an incident follow through the app once
            // the base data set is in (only on the run that made it).
            let mut fresh_demo = false;
            if *demo {
                if store.count_users().await? == 0 {
                    fresh_demo = true;
                    eprintln!("Filling the empty database with demo data …");
                    let s = demo::generate(&store, clock.now(), DemoOptions::default()).await?;
                    eprintln!(
                        "Demo data: {} accounts, {} customers, {} cases, {} timeline events.",
                        s.accounts, s.customers, s.cases, s.events
                    );
                }
                eprintln!(
                    "Demo login: admin / {pw} (also lena = lead, anna, ben, emma = agents; same password)",
                    pw = demo::DEMO_PASSWORD
                );
            } else if store.count_users().await? == 0 {
                eprintln!(
                    "No users yet: create one with `amends user create --name admin --role admin`, or start with --demo."
                );
            }
            let app = Application::build_with_store(config, clock, store).await?;
            if fresh_demo {
                let t = demo::teams(app.state()).await?;
                eprintln!("Demo teams: {t} with rules (see /teams); the feedback below is routed to them.");
                let n = demo::feedback(app.state(), 60).await?;
                eprintln!("Demo feedback: {n} items through text analytics and detection rules.");
                let a = demo::solutions(app.state().store(), app.state().now()).await?;
                eprintln!("Demo solutions: {a} articles (see /solutions and the public help center /help).");
                let i = demo::incident(app.state(), 40).await?;
                eprintln!(
                    "Demo incident: {} affected customers, {} proactive cases, {} goodwill grants.",
                    i.affected_count, i.cases_created, i.goodwill_granted
                );
                let (p, worked) = demo::playbooks(app.state()).await?;
                eprintln!("Demo playbooks: {p}, with progress on {worked} cases (see /playbooks).");
                let d = demo::self_service(app.state()).await?;
                eprintln!(
                    "Demo self-service: {d} widget sessions with suggested articles (see /analytics/deflection)."
                );
                let f = demo::fair(app.state()).await?;
                eprintln!(
                    "Demo fairness: {} answers (see /analytics/fairness), {} tier offers (/offers), {} panel members (/panel).",
                    f.answers, f.offers, f.members
                );
                let (ins, told) = demo::fixed_loop(app.state()).await?;
                eprintln!("Demo insights: {ins}; one fixed in release 2.4.1, {told} reporters told (see /insights).");
                // The churn model learns from the demo history (the week's training).
                amends_app::analytics::churn::schedule(
                    app.state(),
                    Some(amends_app::analytics::churn::week_key(app.state().now())),
                )
                .await?;
            }
            let addr = app.local_addr();
            println!("amends listening on http://{addr}");
            app.run(shutdown_signal()).await
        }
        Command::Migrate => {
            let config = load_config(&cli, None)?;
            open_store(&config).await?;
            println!("migrations applied to {}", config.database_url);
            Ok(())
        }
        Command::Backup { file } => {
            let config = load_config(&cli, None)?;
            let store = open_store(&config).await?;
            store.backup_into(file).await?;
            let info = amends_store::backup::check_backup(file).await?;
            println!("backup written to {} ({} cases), checked", file.display(), info.cases);
            Ok(())
        }
        Command::Restore { file, force } => {
            let config = load_config(&cli, None)?;
            let info = amends_store::backup::restore_sqlite(file, &config.database_url, *force).await?;
            open_store(&config).await?;
            println!(
                "restored {} ({} cases) to {}, migrations applied",
                file.display(),
                info.cases,
                config.database_url
            );
            Ok(())
        }
        Command::Demo(args) => {
            let config = load_config(&cli, None)?;
            let store = open_store(&config).await?;
            let opts = DemoOptions {
                customers: args.customers,
                cases: args.cases,
                seed: args.seed,
                ..DemoOptions::default()
            };
            let s = demo::generate(&store, clock.now(), opts).await?;
            println!(
                "demo data: {} accounts, {} customers, {} cases, {} timeline events; users: {}",
                s.accounts,
                s.customers,
                s.cases,
                s.events,
                s.users
                    .iter()
                    .map(|(u, r)| format!("{u} ({r})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!("demo password: {}", demo::DEMO_PASSWORD);
            Ok(())
        }
        Command::User(UserCommand::Create {
            name,
            role,
            display_name,
            email,
            language,
            password_stdin,
        }) => {
            let config = load_config(&cli, None)?;
            let store = open_store(&config).await?;
            let password = read_password(*password_stdin)?;
            let input = UserInput {
                username: name.clone(),
                display_name: display_name.clone(),
                email: email.clone(),
                role: role.clone(),
                language: Some(language.clone()),
                password,
            };
            let user = service::create_user(&store, clock.now(), input, None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created user {} ({}) with id {}", user.username, user.role, user.id);
            Ok(())
        }
        Command::Bench(cmd) => bench::run(cmd, cli.database_url.clone(), load_config(&cli, None)?).await,
        Command::Text(cmd) => text::run(cmd, &cli).await,
        Command::Customers(cmd) => {
            let config = load_config(&cli, None)?;
            let store = open_store(&config).await?;
            customers::run(cmd, &amends_app::App::new(store, clock, config)?).await
        }
        Command::Import(ImportCommand::Feedback { file, user }) => {
            let config = load_config(&cli, None)?;
            let store = open_store(&config).await?;
            let actor = match user {
                Some(u) => Some(
                    store
                        .get_user_by_username(u)
                        .await
                        .map_err(|_| anyhow::anyhow!("no user named `{u}`"))?
                        .id,
                ),
                None => None,
            };
            let state = amends_app::App::new(store, clock, config)?;
            import::import_feedback(&state, file, actor).await.map(|_| ())
        }
        Command::Import(ImportCommand::Affected {
            incident,
            file,
            json,
            user,
        }) => {
            let config = load_config(&cli, None)?;
            let store = open_store(&config).await?;
            let id = amends_domain::IncidentId(*incident);
            let found = store
                .get_incident(id)
                .await
                .map_err(|_| anyhow::anyhow!("no incident with id {incident}; list them with GET /api/v1/incidents"))?;
            let actor = match user {
                Some(u) => {
                    store
                        .get_user_by_username(u)
                        .await
                        .map_err(|_| anyhow::anyhow!("no user named `{u}`"))?
                        .id
                }
                None => amends_domain::UserId(found.created_by),
            };
            let reader: Box<dyn Read + Send> = if file.as_os_str() == "-" {
                Box::new(std::io::stdin())
            } else {
                Box::new(
                    std::fs::File::open(file).map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", file.display()))?,
                )
            };
            let format = if *json {
                amends_app::incidents::UploadFormat::Json
            } else {
                amends_app::incidents::UploadFormat::Csv
            };
            let state = amends_app::App::new(store, clock, config)?;
            let started = std::time::Instant::now();
            let out = amends_app::incidents::upload(&state, id, format, reader, actor)
                .await
                .map_err(|e| anyhow::anyhow!(e.for_operator()))?;
            for e in &out.errors {
                eprintln!("row {}: {}: {}", e.row, e.field, e.message);
            }
            if out.rejected > out.errors.len() as u64 {
                eprintln!(
                    "… and {} more rows with problems",
                    out.rejected - out.errors.len() as u64
                );
            }
            println!(
                "{} rows in {:.1} s: {} new, {} already affected, {} not taken",
                out.rows,
                started.elapsed().as_secs_f64(),
                out.added,
                out.already_known,
                out.rejected
            );
            println!(
                "incident totals: {} affected, {} cases opened, {} open cases updated, {} messages queued, {} goodwill grants ({:.2})",
                out.totals.affected,
                out.totals.cases_created,
                out.totals.cases_updated,
                out.totals.messages_queued,
                out.totals.goodwill_granted,
                out.totals.goodwill_cents as f64 / 100.0
            );
            if out.added == 0 && out.already_known == 0 && out.rejected > 0 {
                anyhow::bail!("no row could be taken; fix the rows listed above");
            }
            Ok(())
        }
        Command::Mail(MailCommand::Ingest) => {
            let config = load_config(&cli, None)?;
            let mut raw = Vec::new();
            std::io::stdin()
                .take(amends_app::mailin::MAIL_MAX as u64 + 1)
                .read_to_end(&mut raw)?;
            let store = open_store(&config)
                .await
                .map_err(|e| anyhow::Error::new(TempFail(format!("{e:#}"))))?;
            let state = amends_app::App::new(store, clock, config)?;
            let taken = amends_app::quarantine::ingest_or_quarantine(&state, &raw, Source::Pipe)
                .await
                .map_err(|e| match e {
                    // Nothing was taken: the MTA keeps the message and tries again.
                    AppError::Internal(_) | AppError::Unavailable(_) => anyhow::Error::new(TempFail(e.for_operator())),
                    e => anyhow::anyhow!("{e}"),
                })?;
            let out = match taken {
                Taken::Mail(out) => out,
                Taken::Quarantined { id, reason, .. } => {
                    println!(
                        "quarantined as {id}: {reason}; an admin releases or deletes it under Settings → Mail quarantine"
                    );
                    return Ok(());
                }
            };
            match out.outcome.as_str() {
                "threaded" => println!(
                    "threaded onto case {} ({} attachments)",
                    out.case_id.map(|c| c.to_string()).unwrap_or_default(),
                    out.attachments
                ),
                "feedback" => println!(
                    "stored as feedback {}{} ({} attachments)",
                    out.feedback_id.map(|c| c.to_string()).unwrap_or_default(),
                    out.case_id
                        .map(|c| format!(", opened or joined case {c}"))
                        .unwrap_or_else(|| ", no case".into()),
                    out.attachments
                ),
                other => println!("ignored: {other} (opens no case)"),
            }
            Ok(())
        }
        Command::Mail(MailCommand::Poll) => {
            let config = load_config(&cli, None)?;
            if config.imap_url.is_none() {
                anyhow::bail!("set imap_url (AMENDS_IMAP_URL), e.g. imaps://user:password@mail.example.com/INBOX");
            }
            let store = open_store(&config).await?;
            let state = amends_app::App::new(store, clock, config)?;
            let r = amends_app::imap::poll_once(&state)
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
            println!(
                "ingested {} messages ({} fetched, {} taken before, {} auto-replies or bounces, {} rejected)",
                r.ingested, r.fetched, r.duplicates, r.ignored, r.rejected
            );
            Ok(())
        }
        Command::Token(TokenCommand::Create { user, name }) => {
            let config = load_config(&cli, None)?;
            let store = open_store(&config).await?;
            let u = store.get_user_by_username(user).await.map_err(|_| {
                anyhow::anyhow!("no user named `{user}`; create one with `amends user create --name {user}`")
            })?;
            let (_, token) = service::create_token(&store, clock.now(), u.id, name, None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("API token for {} (shown once; store it safely):", u.username);
            println!("{token}");
            Ok(())
        }
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let pw = if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        s.trim_end_matches(['\n', '\r']).to_string()
    } else if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("Password: ")?;
        let b = rpassword::prompt_password("Repeat password: ")?;
        if a != b {
            anyhow::bail!("the passwords differ; try again");
        }
        a
    } else {
        anyhow::bail!("no terminal to ask for the password: pass --password-stdin and pipe it in");
    };
    Ok(pw)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    eprintln!("shutting down …");
}
