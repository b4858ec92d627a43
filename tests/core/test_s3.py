"""Signing requests for an S3-compatible bucket: AWS's own worked example, and the bucket address setting."""

from __future__ import annotations

import datetime as dt

import pytest

from clinic.core.s3 import EMPTY_SHA256, parse_bucket_url, signed_headers

# The worked example in AWS's "Signature Version 4: header-based authentication" (GET Object).
EXAMPLE_ACCESS = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EXAMPLE_SIGNATURE = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"


def test_it_signs_awss_worked_example_exactly():
    headers = signed_headers("GET", "https://examplebucket.s3.amazonaws.com/test.txt", {"Range": "bytes=0-9"},
                             EMPTY_SHA256, dt.datetime(2013, 5, 24, tzinfo=dt.timezone.utc), "us-east-1",
                             EXAMPLE_ACCESS, EXAMPLE_SECRET)
    assert headers["Authorization"] == (
        f"AWS4-HMAC-SHA256 Credential={EXAMPLE_ACCESS}/20130524/us-east-1/s3/aws4_request, "
        f"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature={EXAMPLE_SIGNATURE}")
    assert headers["x-amz-date"] == "20130524T000000Z" and headers["Host"] == "examplebucket.s3.amazonaws.com"


def test_a_bucket_address_names_the_endpoint_region_and_folder():
    bucket = parse_bucket_url("s3://clinic-backups/riverside?endpoint=https://acct.r2.cloudflarestorage.com/"
                              "&region=auto", "id", "secret")
    assert (bucket.endpoint, bucket.name, bucket.prefix, bucket.region) == (
        "https://acct.r2.cloudflarestorage.com", "clinic-backups", "riverside/", "auto")
    assert bucket.object_url("clinic-1.backup") == "https://acct.r2.cloudflarestorage.com/clinic-backups/riverside/clinic-1.backup"
    aws = parse_bucket_url("s3://backups", "id", "secret")
    assert (aws.endpoint, aws.prefix, aws.region) == ("https://s3.us-east-1.amazonaws.com", "", "us-east-1")
    assert "secret" not in repr(aws)


@pytest.mark.parametrize("url,keys,message", [
    ("https://bucket/x", ("id", "secret"), "must look like s3://"),
    ("s3://bucket?colour=blue", ("id", "secret"), "unknown option(s) colour"),
    ("s3://bucket?endpoint=ftp://host", ("id", "secret"), "endpoint must be an http(s) address"),
    ("s3://bucket", ("", "secret"), "needs CLINIC_BACKUP_S3_ACCESS_KEY"),
])
def test_a_wrong_bucket_address_is_refused_with_one_line(url, keys, message):
    with pytest.raises(ValueError) as error:
        parse_bucket_url(url, *keys)
    assert str(error.value).startswith(message)
