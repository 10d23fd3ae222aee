"""The standalone worker's flags: parsed, checked, and turned into gRPC server credentials."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

__all__ = ["StandaloneOptions", "UsageError", "add_arguments", "is_loopback", "parse_address"]

DEFAULT_DRAIN_GRACE_S = 30.0


class UsageError(ValueError):
    """A flag is missing, malformed or unsafe; the message says which and what to do."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the standalone worker's flags to the worker's argument parser."""
    group = parser.add_argument_group("standalone worker (remote pools)")
    group.add_argument(
        "--listen", metavar="HOST:PORT", help="serve remote pools on this address (port 0: any free port)"
    )
    group.add_argument(
        "--health-listen",
        metavar="HOST:PORT",
        help="also serve only grpc.health.v1 in plaintext here (for kubelet probes when --listen uses TLS)",
    )
    group.add_argument("--token-file", metavar="FILE", help="file holding the pool token (required off loopback)")
    group.add_argument("--tls-cert", metavar="FILE", help="server certificate chain (PEM)")
    group.add_argument("--tls-key", metavar="FILE", help="server private key (PEM)")
    group.add_argument("--tls-client-ca", metavar="FILE", help="require client certificates signed by this CA (PEM)")
    group.add_argument(
        "--max-concurrency",
        metavar="N",
        type=int,
        default=None,
        help="tool calls run at once; more wait in order (default: 4)",
    )
    group.add_argument(
        "--drain-grace",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_DRAIN_GRACE_S,
        help=f"on SIGTERM, how long in-flight calls may finish (default {DEFAULT_DRAIN_GRACE_S:g})",
    )


def parse_address(text: str, flag: str = "--listen") -> tuple[str, int]:
    """``HOST:PORT`` or ``[V6]:PORT`` -> (host, port)."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise UsageError(f"{flag} must be HOST:PORT (e.g. 0.0.0.0:50051 or [::1]:50051), got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise UsageError(f"{flag} port must be a number 0-65535, got {port_text!r} in {text!r}") from None
    if not 0 <= port <= 65535:
        raise UsageError(f"{flag} port must be 0-65535, got {port} in {text!r}")
    return host, port


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1); false for anything else."""
    if host == "localhost":
        return True
    import ipaddress  # only standalone workers check hosts: every pool worker parses these options

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def _read(path: str, flag: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise UsageError(f"{flag} {path!r} cannot be read: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class StandaloneOptions:
    """The checked settings of a standalone worker."""

    host: str
    port: int
    token: str | None
    tls_cert: bytes | None
    tls_key: bytes | None
    tls_client_ca: bytes | None
    health_address: tuple[str, int] | None
    max_concurrency: int
    drain_grace_s: float

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> StandaloneOptions:
        """Check the flags; raise ``UsageError`` naming the first problem."""
        host, port = parse_address(args.listen)
        token = None
        if args.token_file:
            token = _read(args.token_file, "--token-file").decode("utf-8", "replace").strip()
            if not token:
                raise UsageError(f"--token-file {args.token_file!r} is empty: put the pool token in it")
        if token is None and not is_loopback(host):
            raise UsageError(
                f"refusing to listen on {args.listen} without a token: anyone who can reach it could run tools. "
                "Pass --token-file FILE (the same token the pool uses), or listen on 127.0.0.1"
            )
        if bool(args.tls_cert) != bool(args.tls_key):
            raise UsageError("--tls-cert and --tls-key go together: pass both (PEM files) or neither")
        if args.tls_client_ca and not args.tls_cert:
            raise UsageError("--tls-client-ca needs --tls-cert and --tls-key (client certificates need TLS)")
        max_concurrency = 4 if args.max_concurrency is None else args.max_concurrency
        if max_concurrency < 1:
            raise UsageError(f"--max-concurrency must be at least 1, got {max_concurrency}")
        if args.drain_grace < 0:
            raise UsageError(f"--drain-grace must be 0 or more seconds, got {args.drain_grace:g}")
        health = parse_address(args.health_listen, "--health-listen") if args.health_listen else None
        return cls(
            host=host,
            port=port,
            token=token,
            tls_cert=_read(args.tls_cert, "--tls-cert") if args.tls_cert else None,
            tls_key=_read(args.tls_key, "--tls-key") if args.tls_key else None,
            tls_client_ca=_read(args.tls_client_ca, "--tls-client-ca") if args.tls_client_ca else None,
            health_address=health,
            max_concurrency=max_concurrency,
            drain_grace_s=args.drain_grace,
        )

    @property
    def tls(self) -> bool:
        """True when the listen port speaks TLS."""
        return self.tls_cert is not None

    def server_credentials(self):  # -> grpc.ServerCredentials | None
        """TLS credentials for the listen port (client certificates required with a client CA), or None."""
        if not self.tls:
            return None
        import grpc

        return grpc.ssl_server_credentials(
            [(self.tls_key, self.tls_cert)],
            root_certificates=self.tls_client_ca,
            require_client_auth=self.tls_client_ca is not None,
        )


def bind_address(host: str, port: int) -> str:
    """``host:port`` for grpc (brackets around IPv6)."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"
