//! The `/metrics` endpoint of `live --metrics-listen ADDR:PORT`: HTTP/1.1
//! (hyper) on a tokio runtime of its own thread, so a slow scraper never
//! holds the capture. The capture side [`Published::publish`]es an
//! [`Exposition`] (about once a second); each scrape encodes the latest one,
//! in OpenMetrics when the scraper's `Accept` asks for
//! `application/openmetrics-text` (Prometheus does), else in the Prometheus
//! text format 0.0.4; gzipped when the scraper accepts it.

use std::convert::Infallible;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;

use super::{
    Exposition, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, openmetrics, prometheus_text,
};

/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 32;
/// A client must send its request headers within this time.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The latest exposition, shared between the capture and the endpoint.
#[derive(Debug, Default)]
pub struct Published {
    latest: Mutex<Option<Arc<Exposition>>>,
    cluster: Option<String>,
}

impl Published {
    /// Every series will carry `cluster="…"` when given.
    pub fn new(cluster: Option<String>) -> Published {
        Published {
            latest: Mutex::new(None),
            cluster: cluster.filter(|c| !c.is_empty()),
        }
    }

    /// Makes `e` what the next scrape sees.
    pub fn publish(&self, e: Exposition) {
        let e = Arc::new(e);
        match self.latest.lock() {
            Ok(mut g) => *g = Some(e),
            Err(p) => *p.into_inner() = Some(e),
        }
    }

    /// The latest exposition, if any was published.
    pub fn latest(&self) -> Option<Arc<Exposition>> {
        match self.latest.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The body and content type of a scrape with this `Accept` header.
    pub fn render(&self, accept: Option<&str>) -> Option<(String, &'static str)> {
        let e = self.latest()?;
        let cluster = self.cluster.as_deref();
        Some(if wants_openmetrics(accept) {
            (openmetrics(&e, cluster), OPENMETRICS_CONTENT_TYPE)
        } else {
            (prometheus_text(&e, cluster), PROMETHEUS_CONTENT_TYPE)
        })
    }
}

/// True when the `Accept` header lists OpenMetrics text.
pub fn wants_openmetrics(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|part| {
            let mut it = part.split(';');
            let ty = it.next().unwrap_or("").trim();
            let q_zero = it.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f64>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            ty.eq_ignore_ascii_case("application/openmetrics-text") && !q_zero
        })
    })
}

/// Binds `addr` (e.g. `127.0.0.1:9405`, `[::]:9405`) now, so a busy port
/// is an error before the capture starts, and serves `/metrics` from a
/// thread of its own. Returns the bound address (port 0 picks one).
pub fn serve(addr: &str, published: Arc<Published>) -> io::Result<SocketAddr> {
    let listener = StdListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("corowire-metrics".into())
        .spawn(move || {
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                accept_loop(listener, published).await;
            });
        })?;
    Ok(local)
}

async fn accept_loop(listener: tokio::net::TcpListener, published: Arc<Published>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, _) = match listener.accept().await {
            Ok(c) => c,
            Err(_) => {
                // Out of file descriptors and the like: wait, do not spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let p = published.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let p = p.clone();
                async move { Ok::<_, Infallible>(respond(&p, &req)) }
            });
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn respond(p: &Published, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return text(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n");
    }
    match req.uri().path() {
        "/metrics" => {}
        "/" => {
            return text(
                StatusCode::OK,
                "corowire: corosync/knet wire metrics at /metrics\n",
            );
        }
        _ => return text(StatusCode::NOT_FOUND, "not found: try /metrics\n"),
    }
    let header = |h| {
        req.headers()
            .get(h)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let Some((body, ty)) = p.render(header(ACCEPT)) else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "no snapshot yet\n");
    };
    let (body, gzipped) = match gzip(header(ACCEPT_ENCODING), body.as_bytes()) {
        Some(z) => (Bytes::from(z), true),
        None => (Bytes::from(body), false),
    };
    let mut r = Response::new(Full::new(body));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(ty));
    if gzipped {
        r.headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    r
}

/// The body gzipped when the client accepts gzip (Prometheus does; the
/// exposition shrinks about tenfold) and the `compression` feature is on.
#[cfg(feature = "compression")]
fn gzip(accept_encoding: Option<&str>, body: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write as _;
    let wanted = accept_encoding?.split(',').any(|e| {
        let mut it = e.split(';');
        it.next()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip"))
            && !it.any(|p| p.trim().replace(' ', "") == "q=0")
    });
    if !wanted {
        return None;
    }
    let mut z = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 8),
        flate2::Compression::fast(),
    );
    z.write_all(body).ok()?;
    z.finish().ok()
}

#[cfg(not(feature = "compression"))]
fn gzip(_accept_encoding: Option<&str>, _body: &[u8]) -> Option<Vec<u8>> {
    None
}

#[cfg(test)]
mod tests {
    use super::wants_openmetrics;

    #[test]
    fn accept_negotiation() {
        // Prometheus 2.42's scrape Accept header.
        assert!(wants_openmetrics(Some(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        )));
        assert!(!wants_openmetrics(Some("text/plain")));
        assert!(!wants_openmetrics(Some("application/openmetrics-text;q=0")));
        assert!(!wants_openmetrics(None));
    }
}
