"""The emulators' shared server loop: a threading HTTP server on an IPv4 or
IPv6 address (with a zone for a link-local one, such as
"fe80::a9fe:a9fe%veth0": getaddrinfo gives the scope id the bind needs),
a request log file and its lock on the server, SIGTERM and SIGINT ending it
cleanly."""
import signal
import socket
import threading
from http.server import ThreadingHTTPServer


def serve(handler, bind, port, log_path=None, **attributes):
    """Serves until a signal; each keyword becomes an attribute of the server
    (the handler reads its settings there). Returns 0."""
    if ":" in bind:
        class Server6(ThreadingHTTPServer):
            address_family = socket.AF_INET6
        server = Server6(socket.getaddrinfo(bind, port, socket.AF_INET6, socket.SOCK_STREAM)[0][4], handler)
    else:
        server = ThreadingHTTPServer((bind, port), handler)
    server.daemon_threads = True
    for name, value in attributes.items():
        setattr(server, name, value)
    server.log = open(log_path, "a") if log_path else None
    server.log_lock = threading.Lock()

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        if server.log:
            server.log.close()
    return 0
