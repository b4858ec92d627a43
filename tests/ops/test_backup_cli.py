"""`clinic backup` and `clinic restore` from the command line: one-line refusals, audited, the chain intact."""

from __future__ import annotations

from tests.conftest import side_database_url
from tests.ops.test_cli import clinic, one_error_line

KEY = {"CLINIC_BACKUP_KEY": bytes(range(32)).hex()}


def environment(backend, tmp_path, name: str) -> dict[str, str]:
    env = {"CLINIC_DATA_DIR": str(tmp_path / name), **KEY}
    if backend == "mysql":
        env["DATABASE_URL"] = side_database_url(backend, tmp_path, f"backup_cli_{name}")
    return env


def test_a_missing_key_stops_with_one_line(tmp_path):
    result = clinic("backup", env={"CLINIC_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "CLINIC_BACKUP_KEY is not set" in one_error_line(result)


def test_the_audit_chain_verifies_after_a_restore_and_the_restore_is_audited(backend, tmp_path):
    source, target = environment(backend, tmp_path, "source"), environment(backend, tmp_path, "target")
    for env in (source, target):
        assert clinic("migrate", env=env).returncode == 0
    first = tmp_path / "first.backup"
    assert clinic("backup", "--out", str(first), env=source).returncode == 0
    second = tmp_path / "second.backup"  # holds the audit entry of the first backup
    made = clinic("backup", "--out", str(second), env=source)
    assert made.returncode == 0 and "backup written" in made.stdout
    assert clinic("backup", "--verify", str(second), env=source).returncode == 0

    restored = clinic("restore", str(second), env=target)
    assert restored.returncode == 0, restored.stderr
    verified = clinic("audit", "verify", env=target)
    assert verified.returncode == 0, verified.stderr
    assert "audit trail intact: 2 entries verified" in verified.stdout  # the restored one and the restore's

    again = clinic("restore", str(first), env=target)
    assert again.returncode == 2 and "not empty" in one_error_line(again)
    forced = clinic("restore", str(first), "--force", env=target)
    assert forced.returncode == 0, forced.stderr
    assert "backed up first" in forced.stdout
    assert clinic("audit", "verify", env=target).returncode == 0


def test_a_damaged_file_is_refused_with_one_line_and_exit_2(tmp_path):
    env = environment("sqlite", tmp_path, "damaged")
    assert clinic("migrate", env=env).returncode == 0
    path = tmp_path / "made.backup"
    assert clinic("backup", "--out", str(path), env=env).returncode == 0
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    for command in (("backup", "--verify", str(path)), ("restore", str(path))):
        result = clinic(*command, env=env)
        assert result.returncode == 2
        assert "fails its checksum" in one_error_line(result)
