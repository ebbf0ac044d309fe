//! On a server redis-lab did not start, someone else's data sits next to the lesson's: this is
//! the book of what the session created there (so that only that is deleted), of what was there
//! before (never deleted), and of the databases the learner's clients moved to.

use super::live::LiveBackend;
use super::{BackendError, DatabaseError};
use crate::server::connection::{
    CONNECT_TIMEOUT, Clients, ConnError, HIDDEN_CLIENT, Outcome, SLOW_COMMAND,
};
use crate::server::reply::Reply;
use std::collections::{BTreeSet, HashMap};

pub(super) struct Book {
    /// The database the lesson runs in.
    pub(super) db: i64,
    /// Keys this session created (absent when first touched), the only ones a reset and the
    /// clean-up at the end may delete.
    created: BTreeSet<Vec<u8>>,
    /// Keys that were there before this session touched them. Never deleted, whatever the
    /// lesson did to them.
    preexisting: BTreeSet<Vec<u8>>,
    /// Function libraries this session loaded (FUNCTION LOAD), removed at the clean-up, and those
    /// the server had before it started, which are never removed.
    functions_loaded: BTreeSet<String>,
    pub(super) functions_before: BTreeSet<String>,
    /// Clients the learner moved to another database with SELECT (`client@node` -> database).
    pub(super) outside_db: HashMap<String, i64>,
}

impl Book {
    pub(super) fn new(db: i64) -> Book {
        Book {
            db,
            created: BTreeSet::new(),
            preexisting: BTreeSet::new(),
            functions_loaded: BTreeSet::new(),
            functions_before: BTreeSet::new(),
            outside_db: HashMap::new(),
        }
    }
}

impl LiveBackend {
    /// How many keys database `db` holds (a refusal, NOAUTH or NOPERM, ends the session).
    fn dbsize(&self, db: i64) -> Result<i64, BackendError> {
        let server = &self.home.server;
        match server.ask(db, &["DBSIZE"], CONNECT_TIMEOUT)? {
            Reply::Int(size) => Ok(size),
            Reply::Error(reply) => Err(server.refused(reply).into()),
            other => Err(ConnError::Dropped {
                target: server.display().to_string(),
                reason: format!("DBSIZE answered {}, not a number", other.short()),
            }
            .into()),
        }
    }

    /// On a server we did not start: use the URL's database if empty, or find an empty one.
    pub(super) fn choose_database(&mut self, force: bool) -> Result<String, BackendError> {
        let display = self.home.server.display().to_string();
        let requested = self.home.server.url_db();
        let size = self.dbsize(requested)?;
        if size == 0 || force {
            self.set_db(requested);
            return Ok(if size == 0 {
                format!("Running in database {requested} of {display}, which is empty.")
            } else {
                format!(
                    "Running in database {requested} of {display} ({size} keys already there; --force given). \
                     redis-lab will only delete keys this lesson touches."
                )
            });
        }
        if requested != 0 {
            return Err(DatabaseError::NotEmpty {
                db: requested,
                server: display,
                keys: size,
            }
            .into());
        }
        for db in 1..16 {
            let size = match self.dbsize(db) {
                Ok(size) => size,
                // Past the server's `databases` limit; any other failure is said as it is.
                Err(e) if e.to_string().contains("out of range") => break,
                Err(e) => return Err(e),
            };
            if size == 0 {
                self.set_db(db);
                return Ok(format!(
                    "Database 0 of {display} is not empty, so this lesson runs in database {db}, which is."
                ));
            }
        }
        Err(DatabaseError::NoneEmpty { server: display }.into())
    }

    fn set_db(&mut self, db: i64) {
        self.book.db = db;
        self.home.clients = Clients::new(db);
    }

    /// On a server we do not own: sorts keys seen for the first time into those this session
    /// is about to create and those that were already there (asked before the command runs).
    pub(super) fn note_new_keys(
        &mut self,
        at: Option<&str>,
        keys: &[Vec<u8>],
    ) -> Result<(), BackendError> {
        let unknown: Vec<Vec<u8>> = keys
            .iter()
            .filter(|k| !self.book.created.contains(*k) && !self.book.preexisting.contains(*k))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let probes = unknown
            .iter()
            .map(|k| vec![b"EXISTS".to_vec(), k.clone()])
            .collect();
        let replies = self.node(at)?.observe(probes)?;
        for (key, reply) in unknown.into_iter().zip(replies) {
            if reply == Reply::Int(0) {
                self.book.created.insert(key);
            } else {
                self.book.preexisting.insert(key);
            }
        }
        Ok(())
    }

    /// The function libraries the server has now (none before Redis 7).
    pub(super) fn function_libraries(&mut self) -> Result<BTreeSet<String>, BackendError> {
        let reply = self.home.ask(&[b"FUNCTION", b"LIST"])?;
        let mut names = BTreeSet::new();
        for library in reply.elements().unwrap_or_default() {
            let fields = library.elements().unwrap_or_default();
            if let Some(pair) = fields.chunks(2).find(|pair| {
                pair.first().and_then(|f| f.as_text()).as_deref() == Some("library_name")
            }) && let Some(name) = pair.get(1).and_then(|n| n.as_text())
            {
                names.insert(name);
            }
        }
        Ok(names)
    }

    /// Deletes the keys this session created on a server we do not own; how many went.
    pub(super) fn remove_created_keys(&mut self) -> Result<i64, BackendError> {
        let keys: Vec<Vec<u8>> = std::mem::take(&mut self.book.created).into_iter().collect();
        let mut removed = 0;
        for chunk in keys.chunks(500) {
            let mut command = vec![b"UNLINK".to_vec()];
            command.extend(chunk.iter().cloned());
            for reply in self.home.observe(vec![command])? {
                if let Reply::Int(n) = reply {
                    removed += n;
                }
            }
        }
        Ok(removed)
    }

    /// On a server redis-lab did not start: removes what this lesson created there (its keys
    /// and function libraries) and says what went, and what stays. Nothing to do on a sandbox.
    pub(super) fn remove_what_the_lesson_made(&mut self) -> Result<Option<String>, BackendError> {
        if self.home.server.is_owned() {
            return Ok(None);
        }
        self.home.clients.clear_on(&self.home.server);
        let keys = self.remove_created_keys()?;
        let libraries: Vec<String> = std::mem::take(&mut self.book.functions_loaded)
            .into_iter()
            .filter(|name| !self.book.functions_before.contains(name))
            .collect();
        for name in &libraries {
            self.home.ask(&[b"FUNCTION", b"DELETE", name.as_bytes()])?;
        }
        let left = match self.home.ask(&[b"DBSIZE"])? {
            Reply::Int(n) => n,
            _ => 0,
        };
        let mut text = format!(
            "Removed the {keys} key{} this lesson created in database {} of {}",
            if keys == 1 { "" } else { "s" },
            self.book.db,
            self.home.server.display()
        );
        if !libraries.is_empty() {
            text.push_str(&format!(
                " and its function librar{} {}",
                if libraries.len() == 1 { "y" } else { "ies" },
                libraries.join(", ")
            ));
        }
        text.push_str(" (pass --keep to keep them).");
        if left > 0 {
            text.push_str(&format!(
                " {left} key{} that redis-lab did not see this lesson create stay{} there.",
                if left == 1 { "" } else { "s" },
                if left == 1 { "s" } else { "" }
            ));
        }
        Ok(Some(text))
    }

    /// The key under which a client's database is remembered.
    fn client_key(&self, at: Option<&str>, client: &str) -> String {
        format!("{client}@{}", self.node_name(at))
    }

    /// Whether the learner moved this client out of the lesson's database.
    pub(super) fn is_outside(&self, at: Option<&str>, client: &str) -> bool {
        self.book
            .outside_db
            .contains_key(&self.client_key(at, client))
    }

    /// The lesson's own commands always run in the lesson's database: a client the learner moved
    /// elsewhere with SELECT is brought back first, and the learner is told.
    pub(super) fn bring_back(
        &mut self,
        at: Option<&str>,
        client: &str,
    ) -> Result<Option<String>, BackendError> {
        let key = self.client_key(at, client);
        let known = self.book.outside_db.remove(&key);
        let owned = self.home.server.is_owned();
        let db = self.book.db;
        let node = self.node(at)?;
        if !node.clients.names().any(|n| n == client) {
            return Ok(None); // a new connection starts in the lesson's database
        }
        // On someone else's server the database is selected before every lesson command, even
        // with no SELECT seen: one inside MULTI (answered QUEUED), HELLO or RESET moves it too.
        if known.is_none() && (owned || client == HIDDEN_CLIENT) {
            return Ok(None);
        }
        // A client that waits (BLPOP) or only receives (SUBSCRIBE) takes no command: the lesson's
        // command is refused as it is, below.
        if node.clients.pending(client).is_some()
            || node.clients.receivers().iter().any(|r| r == client)
        {
            return Ok(None);
        }
        let select = vec![b"SELECT".to_vec(), db.to_string().into_bytes()];
        match node
            .clients
            .run(&node.server, client, &select, SLOW_COMMAND)?
        {
            Outcome::Done(Reply::Status(_)) => Ok(known.map(|from| format!(
                "Client {client} was in database {from}; the lesson's commands run in database {db}, so it is back there now."
            ))),
            other => {
                let answered = match other {
                    Outcome::Done(reply) => format!("the server answered {} to SELECT", reply.short()),
                    Outcome::Waiting => "the server did not answer SELECT".into(),
                };
                Err(DatabaseError::NotBack {
                    client: client.to_string(),
                    db,
                    answered,
                }
                .into())
            }
        }
    }

    /// Follows the learner's SELECT (and RESET, which goes back to database 0) and says when a
    /// client leaves the lesson's database.
    pub(super) fn follow_database(
        &mut self,
        at: Option<&str>,
        client: &str,
        args: &[Vec<u8>],
        reply: &Reply,
    ) -> Option<String> {
        let name = crate::command::name(args)?;
        let db = match (name.as_str(), reply) {
            ("SELECT", Reply::Status(_)) => String::from_utf8_lossy(args.get(1)?).parse().ok()?,
            ("RESET", Reply::Status(_)) => 0,
            _ => return None,
        };
        let key = self.client_key(at, client);
        let lesson_db = self.book.db;
        if db == lesson_db {
            return self
                .book
                .outside_db
                .remove(&key)
                .map(|_| format!("Back in database {db}, the lesson's."));
        }
        self.book.outside_db.insert(key, db);
        let whose = if self.home.server.is_owned() {
            String::new()
        } else {
            " Writes there change data that redis-lab did not create.".to_string()
        };
        Some(format!(
            "Client {client} is now in database {db}, outside the lesson's database {lesson_db}.{whose} The checks, :solution and :skip keep using database {lesson_db}: type `SELECT {lesson_db}` to come back."
        ))
    }

    /// Remembers a function library this session loaded, so the clean-up can remove it.
    pub(super) fn note_function_load(&mut self, args: &[Vec<u8>], reply: &Reply) {
        let is_load = args.len() > 1
            && args[0].eq_ignore_ascii_case(b"FUNCTION")
            && args[1].eq_ignore_ascii_case(b"LOAD");
        if let (true, Reply::Bulk(name)) = (is_load, reply) {
            self.book
                .functions_loaded
                .insert(String::from_utf8_lossy(name).into_owned());
        }
    }
}
