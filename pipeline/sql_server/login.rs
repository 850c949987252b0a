//! The login of the SQL endpoint: SCRAM-SHA-256 (RFC 5802, RFC 7677) against
//! the verifiers of the users file, so the server never sees nor keeps a
//! password; and the transport rule: a client on another machine must use
//! TLS, only a client on this machine may connect in plain text.
//!
//! pgwire's own SCRAM handler needs the salted password (which would let
//! anyone who reads the file log in), so the exchange is checked here with
//! StoredKey and ServerKey only, as PostgreSQL does.

use super::connection::Connection;
use super::users::{UsersFile, Verifier, hmac};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    DefaultServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{
    ClientInfo, ConnectionManager, PgWireConnectionState, PidSecretKeyGenerator, RandomPidSecretKeyGenerator,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::startup::Authentication;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt::Debug;
use std::sync::Arc;
use tokio::sync::Mutex;

const MECHANISM: &str = "SCRAM-SHA-256";

/// Where one connection's login stands.
enum Stap {
    Begin,
    /// The mechanism was chosen and the client's first message is in.
    ServerFirstSent(Box<Gesprek>),
    Done,
}

/// What the server's first message committed to, for checking the client's proof.
struct Gesprek {
    user: String,
    verifier: Option<Verifier>,
    client_first_bare: String,
    server_first: String,
    nonce: String,
    gs2: String,
}

/// One connection's login (pgwire asks for a handler per connection).
pub struct Login {
    users: Arc<UsersFile>,
    /// Keyed random bytes for the fake salt of an unknown user, so a salt
    /// does not tell whether a name exists.
    secret: Arc<[u8; 32]>,
    connections: Arc<ConnectionManager>,
    connection: Arc<Connection>,
    stap: Mutex<Stap>,
}

impl Login {
    pub fn new(
        users: Arc<UsersFile>,
        secret: Arc<[u8; 32]>,
        connections: Arc<ConnectionManager>,
        connection: Arc<Connection>,
    ) -> Login {
        Login { users, secret, connections, connection, stap: Mutex::new(Stap::Begin) }
    }
}

fn refused(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("FATAL".into(), code.into(), message)))
}

/// The attribute `name=` of a SCRAM message.
fn attribute(message: &str, name: char) -> Option<&str> {
    message.split(',').find_map(|part| part.strip_prefix(name).and_then(|p| p.strip_prefix('=')))
}

#[async_trait]
impl StartupHandler for Login {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                let peer = client.socket_addr();
                let database = client.metadata().get(pgwire::api::METADATA_DATABASE).cloned().unwrap_or_default();
                if database != crate::engine::session::CATALOG {
                    return Err(refused(
                        "3D000",
                        format!(
                            "database \"{database}\" does not exist: the lake is the database \"{}\" (dbname={0})",
                            crate::engine::session::CATALOG
                        ),
                    ));
                }
                if !client.is_secure() && !peer.ip().is_loopback() {
                    tracing::warn!(
                        "sql-server: plain connection from {peer} refused (TLS is required from another machine)"
                    );
                    return Err(refused(
                        "28000",
                        "connections from another machine must use TLS: connect with sslmode=require".into(),
                    ));
                }
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                client.send(PgWireBackendMessage::Authentication(Authentication::SASL(vec![MECHANISM.into()]))).await?;
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => {
                let mut stap = self.stap.lock().await;
                match std::mem::replace(&mut *stap, Stap::Done) {
                    Stap::Begin => {
                        let initial = message.into_sasl_initial_response()?;
                        if initial.auth_method != MECHANISM {
                            return Err(PgWireError::UnsupportedSASLAuthMethod(initial.auth_method));
                        }
                        let data = initial.data.unwrap_or_default();
                        let client_first = std::str::from_utf8(&data)
                            .map_err(|_| PgWireError::InvalidScramMessage("client-first is not UTF-8".into()))?;
                        // gs2 header: `n,,` (no channel binding) or `y,,` (client could, server does not offer it).
                        let (gs2, bare) =
                            match client_first.strip_prefix("n,,").or_else(|| client_first.strip_prefix("y,,")) {
                                Some(bare) => (&client_first[..3], bare),
                                None => {
                                    return Err(PgWireError::InvalidScramMessage(
                                        "channel binding is not offered: use SCRAM-SHA-256".into(),
                                    ));
                                }
                            };
                        let client_nonce = attribute(bare, 'r')
                            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_graphic() && c != ','))
                            .ok_or_else(|| PgWireError::InvalidScramMessage("client-first has no nonce".into()))?;
                        let user = client.metadata().get("user").cloned().unwrap_or_default();
                        let verifier = self.users.current().get(&user).cloned();
                        let (salt, iterations) = match &verifier {
                            Some(v) => (v.salt.clone(), v.iterations),
                            None => (hmac(&self.secret[..], user.as_bytes())[..16].to_vec(), super::users::ITERATIONS),
                        };
                        let mut own = [0u8; 18];
                        rand::rng().fill_bytes(&mut own);
                        let nonce = format!("{client_nonce}{}", STANDARD.encode(own));
                        let server_first = format!("r={nonce},s={},i={iterations}", STANDARD.encode(&salt));
                        client
                            .send(PgWireBackendMessage::Authentication(Authentication::SASLContinue(Bytes::from(
                                server_first.clone(),
                            ))))
                            .await?;
                        *stap = Stap::ServerFirstSent(Box::new(Gesprek {
                            user,
                            verifier,
                            client_first_bare: bare.to_string(),
                            server_first,
                            nonce,
                            gs2: gs2.to_string(),
                        }));
                    }
                    Stap::ServerFirstSent(gesprek) => {
                        let Gesprek { user, verifier, client_first_bare, server_first, nonce, gs2 } = *gesprek;
                        let response = message.into_sasl_response()?;
                        let client_final = std::str::from_utf8(&response.data)
                            .map_err(|_| PgWireError::InvalidScramMessage("client-final is not UTF-8".into()))?;
                        let (without_proof, proof) = client_final
                            .rsplit_once(",p=")
                            .ok_or_else(|| PgWireError::InvalidScramMessage("client-final has no proof".into()))?;
                        let binding_ok = attribute(without_proof, 'c') == Some(STANDARD.encode(&gs2).as_str());
                        let nonce_ok = attribute(without_proof, 'r') == Some(nonce.as_str());
                        let proof = STANDARD.decode(proof).ok().filter(|p| p.len() == 32);
                        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
                        let accepted = match (&verifier, proof) {
                            (Some(v), Some(proof)) if binding_ok && nonce_ok => {
                                let signature = hmac(&v.stored_key, auth_message.as_bytes());
                                let client_key: Vec<u8> = proof.iter().zip(signature).map(|(p, s)| p ^ s).collect();
                                let stored: [u8; 32] = Sha256::digest(&client_key).into();
                                // Constant time: no early exit on the first differing byte.
                                stored.iter().zip(v.stored_key).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
                            }
                            _ => false,
                        };
                        let peer = client.socket_addr();
                        let Some(v) = verifier.filter(|_| accepted) else {
                            tracing::warn!("sql-server: login of {user:?} from {peer} refused");
                            return Err(refused(
                                "28P01",
                                format!("password authentication failed for user \"{user}\""),
                            ));
                        };
                        let server_signature = hmac(&v.server_key, auth_message.as_bytes());
                        client
                            .send(PgWireBackendMessage::Authentication(Authentication::SASLFinal(Bytes::from(
                                format!("v={}", STANDARD.encode(server_signature)),
                            ))))
                            .await?;
                        let (pid, secret_key) = RandomPidSecretKeyGenerator::default().generate(client);
                        client.set_pid_and_secret_key(pid, secret_key.clone());
                        // Registered so a cancel request for this pid and key reaches the connection.
                        self.connection.register(pid, &secret_key);
                        let (handle, guard) = self.connections.register(pid, secret_key);
                        client.session_extensions().insert(handle);
                        client.session_extensions().insert(guard);
                        tracing::info!("sql-server: {user} logged in from {peer}");
                        finish_authentication(client, &DefaultServerParameterProvider::default()).await?;
                    }
                    Stap::Done => return Err(PgWireError::InvalidSASLState),
                }
            }
            _ => {}
        }
        Ok(())
    }
}
