"""A copy of each backup in an S3-compatible bucket (AWS S3, Cloudflare R2, Backblaze B2, MinIO...).

One signed PUT per file, Signature Version 4, with the standard library
only: a backup is one file, already encrypted, so multipart uploads, retries
in a loop and the rest of an SDK would add weight and nothing a daily copy
needs. Path-style addresses (``<endpoint>/<bucket>/<key>``), which every
S3-compatible service accepts.

    CLINIC_BACKUP_S3_URL=s3://clinic-backups/riverside/?endpoint=https://<account>.r2.cloudflarestorage.com&region=auto
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

UPLOAD_TIMEOUT_SECONDS = 300
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class BucketError(Exception):
    """The bucket said no, or could not be reached; the message is a status, never a credential."""


@dataclass(frozen=True)
class Bucket:
    endpoint: str  # https://s3.eu-west-1.amazonaws.com
    name: str
    prefix: str  # "" or ending in "/"
    region: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)

    def object_url(self, key: str) -> str:
        return f"{self.endpoint}/{quote(self.name)}/{quote(self.prefix + key)}"


def parse_bucket_url(url: str, access_key: str, secret_key: str) -> Bucket:
    """s3://bucket/prefix/?endpoint=https://host&region=us-east-1 (ValueError with one line when wrong)."""
    parts = urlsplit(url.strip())
    if parts.scheme != "s3" or not parts.hostname:
        raise ValueError("must look like s3://bucket/folder/?endpoint=https://host&region=name")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(options) - {"endpoint", "region"}
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))}")
    region = options.get("region", "us-east-1")
    endpoint = options.get("endpoint", f"https://s3.{region}.amazonaws.com").rstrip("/")
    endpoint_parts = urlsplit(endpoint)
    if endpoint_parts.scheme not in ("http", "https") or not endpoint_parts.hostname:
        raise ValueError("endpoint must be an http(s) address")
    if not access_key or not secret_key:
        raise ValueError("needs CLINIC_BACKUP_S3_ACCESS_KEY and CLINIC_BACKUP_S3_SECRET_KEY")
    prefix = parts.path.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return Bucket(endpoint, parts.hostname, prefix, region, access_key, secret_key)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signed_headers(method: str, url: str, headers: dict[str, str], payload_sha256: str, when: dt.datetime,
                   region: str, access_key: str, secret_key: str) -> dict[str, str]:
    """``headers`` plus host, x-amz-date, x-amz-content-sha256 and the SigV4 Authorization."""
    parts = urlsplit(url)
    stamp = when.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    host = parts.netloc
    signing = {**{name.lower(): " ".join(value.split()) for name, value in headers.items()},
               "host": host, "x-amz-date": stamp, "x-amz-content-sha256": payload_sha256}
    names = sorted(signing)
    query = "&".join(sorted(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                            for k, values in parse_qs(parts.query, keep_blank_values=True).items() for v in values))
    canonical = "\n".join([method, quote(parts.path or "/", safe="/-_.~%"), query,
                           "".join(f"{name}:{signing[name]}\n" for name in names), ";".join(names), payload_sha256])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), "s3"), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {**headers, "Host": host, "x-amz-date": stamp, "x-amz-content-sha256": payload_sha256,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
                             f"SignedHeaders={';'.join(names)}, Signature={signature}"}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def upload(bucket: Bucket, path: Path, now: dt.datetime | None = None) -> str:
    """PUT the file as <prefix><file name>; returns the object's key. Blocking: run it in a thread."""
    key = bucket.prefix + path.name
    url = bucket.object_url(path.name)
    size = path.stat().st_size
    headers = signed_headers("PUT", url, {"Content-Length": str(size), "Content-Type": "application/octet-stream"},
                             file_sha256(path), now or dt.datetime.now(dt.timezone.utc), bucket.region,
                             bucket.access_key, bucket.secret_key)
    with open(path, "rb") as body:
        request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=UPLOAD_TIMEOUT_SECONDS) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            raise BucketError(f"the bucket answered HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise BucketError(f"the bucket could not be reached ({type(error).__name__})") from None
    if not 200 <= status < 300:
        raise BucketError(f"the bucket answered HTTP {status}")
    return key
