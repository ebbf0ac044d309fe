//! TLS for [`super::Wire`], configured as redis-rs configures rustls for the same options:
//! the `--cacert` file or the system's certificates, a client certificate, `--insecure`.

use super::{WireError, connect_tcp, left};
use crate::server::connection::{ConnError, PemKind, TlsOptions, read_pem};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Connects and completes the TLS handshake now, within the time allowed, so that a
/// certificate the server's own is refused here and not at the first command.
pub(super) fn connect_tls(
    host: &str,
    port: u16,
    config: ClientConfig,
    deadline: Instant,
) -> Result<StreamOwned<ClientConnection, TcpStream>, WireError> {
    let name = ServerName::try_from(host)
        .map_err(|e| WireError::Tls(format!("{host} cannot be a TLS server name: {e}")))?
        .to_owned();
    let mut conn =
        ClientConnection::new(Arc::new(config), name).map_err(|e| WireError::Tls(e.to_string()))?;
    let mut tcp = connect_tcp(host, port, deadline)?;
    let bound = Some(left(deadline)?);
    tcp.set_read_timeout(bound).map_err(WireError::Io)?;
    tcp.set_write_timeout(bound).map_err(WireError::Io)?;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).map_err(WireError::Io)?;
    }
    Ok(StreamOwned::new(conn, tcp))
}

/// The rustls configuration redis-rs builds for the same options: the --cacert file's
/// certificates, else the system's; a client certificate when given; and with --insecure (or
/// `#insecure`), no verification at all and no SNI.
pub(super) fn tls_config(options: &TlsOptions, insecure: bool) -> Result<ClientConfig, WireError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| WireError::Tls(e.to_string()))?
        .with_root_certificates(root_store(options)?);
    let mut config = match client_identity(options)? {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key).map_err(|e| {
            WireError::Tls(format!(
                "Unable to build client with TLS parameters provided: {e}"
            ))
        })?,
        None => builder.with_no_client_auth(),
    };
    if insecure {
        config.enable_sni = false;
        config
            .dangerous()
            .set_certificate_verifier(Arc::new(AnyCertificate {
                supported: provider.signature_verification_algorithms,
            }));
    }
    Ok(config)
}

fn root_store(options: &TlsOptions) -> Result<RootCertStore, WireError> {
    let mut store = RootCertStore::empty();
    let certificates = match &options.ca_cert {
        Some(path) => pem_certificates(path, "--cacert")?,
        None => system_certificates()?,
    };
    for certificate in certificates {
        store.add(certificate).map_err(|e| match &options.ca_cert {
            Some(path) => WireError::Options(ConnError::TlsFile {
                flag: "--cacert",
                path: path.clone(),
                reason: format!("not a CA certificate rustls can use ({e})"),
            }),
            None => WireError::Tls(format!("a system CA certificate is unusable: {e}")),
        })?;
    }
    Ok(store)
}

/// The system's CA certificates; like redis-rs, any that cannot be loaded fails the connection
/// rather than leaving a store that silently trusts less.
fn system_certificates() -> Result<Vec<CertificateDer<'static>>, WireError> {
    let mut loaded = rustls_native_certs::load_native_certs();
    if let Some(error) = loaded.errors.pop() {
        return Err(WireError::Tls(format!(
            "cannot load the system's CA certificates ({error}); pass --cacert FILE"
        )));
    }
    Ok(loaded.certs)
}

fn pem_certificates(
    path: &Path,
    flag: &'static str,
) -> Result<Vec<CertificateDer<'static>>, WireError> {
    let bytes = read_pem(path, flag, PemKind::Certificates)?;
    // read_pem has parsed them once already: a failure now is a file changed in between.
    CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            WireError::Options(ConnError::TlsFile {
                flag,
                path: path.to_path_buf(),
                reason: format!("not a PEM certificate file ({e})"),
            })
        })
}

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn client_identity(options: &TlsOptions) -> Result<Option<Identity>, WireError> {
    let Some((cert, key)) = options.client_files()? else {
        return Ok(None);
    };
    let chain = pem_certificates(cert, "--cert")?;
    let key_pem = read_pem(key, "--key", PemKind::PrivateKey)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        WireError::Options(ConnError::TlsFile {
            flag: "--key",
            path: key.to_path_buf(),
            reason: format!("no PEM private key in it ({e})"),
        })
    })?;
    Ok(Some((chain, key)))
}

/// --insecure: every certificate is accepted, as redis-rs's `NoCertificateVerification` does.
#[derive(Debug)]
struct AnyCertificate {
    supported: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.supported.supported_schemes()
    }
}
