"""nginx from Debian as a load balancer on loopback in front of replicas of `assistant serve`.

The balancer retries a request on the next replica when one fails to connect, times out or
answers 502/503 (also POSTs: the questions are read-only, and an upload of the same name
replaces itself), so a replica that is killed costs the client nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from evals.serving import HOST, ServeProcess, free_port, running, start_process

CONFIG = """worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  upstream replicas {{
{servers}
    keepalive 64;
  }}
  server {{
    listen {host}:{port};
    client_max_body_size 25m;
    location / {{
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_buffering off;
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 2s;
      proxy_read_timeout 120s;
    }}
  }}
}}
"""


def nginx_config(upstreams: Sequence[str], port: int, workdir: Path) -> str:
    """The configuration for `upstreams` ("127.0.0.1:8001", ...) on loopback `port`."""
    servers = "\n".join(f"    server {u} max_fails=1 fail_timeout=2s;" for u in upstreams)
    return CONFIG.format(dir=workdir, servers=servers, host=HOST, port=port)


def start_nginx(upstreams: Sequence[str], workdir: Path, port: int | None = None) -> ServeProcess:
    """nginx in the foreground over `upstreams`; ready when /healthz answers through it."""
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(exe).exists():
        raise RuntimeError("nginx is not installed: apt-get install -y nginx-light (scripts/setup.sh --dev does)")
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "nginx.conf"
    conf.write_text(nginx_config(upstreams, port, workdir), encoding="utf-8")
    return start_process(
        [exe, "-c", str(conf), "-p", str(workdir), "-e", str(workdir / "error.log")],
        f"http://{HOST}:{port}",
        "/healthz",
        name="nginx",
        log_path=workdir / "nginx.log",
        timeout=30,
    )


@contextmanager
def balancing(upstreams: Sequence[str], workdir: Path) -> Iterator[ServeProcess]:
    with running(start_nginx(upstreams, workdir)) as server:
        yield server
