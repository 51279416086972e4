//! What the fake outside peers (the BSP, the Baileys provider) share: a one-worker HTTP server on
//! a free port whose every request goes to one handler with the fake's state.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

/// The state, even if a handler panicked while holding it (the test fails on that anyway).
pub(crate) fn lock<T>(inner: &Mutex<T>) -> MutexGuard<'_, T> {
    inner.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts serving `handler`; the server's base URL and its handle.
pub(crate) fn serve<I, F, Fut>(inner: Arc<Mutex<I>>, handler: F) -> anyhow::Result<(String, actix_web::dev::ServerHandle)>
where
    I: Send + 'static,
    F: Fn(HttpRequest, web::Bytes, web::Data<Arc<Mutex<I>>>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = HttpResponse> + 'static,
{
    let data = web::Data::new(inner);
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(handler.clone())))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)?
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok((format!("http://127.0.0.1:{port}"), handle))
}
