"""Agent passwords: salted scrypt hashes and the account directory."""

from __future__ import annotations

from console.passwords import AgentDirectory, hash_password, verify_password


def test_passwords_are_salted_scrypt_hashes():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second and first.startswith("scrypt$") and "correct" not in first
    assert verify_password("correct horse", first)
    assert not verify_password("wrong horse", first)
    assert not verify_password("correct horse", "plain:correct horse")


def test_directory_authenticates_known_accounts_only():
    directory = AgentDirectory({"alice": hash_password("alice-password")})
    assert directory.authenticate("alice", "alice-password")
    assert not directory.authenticate("alice", "wrong")
    assert not directory.authenticate("mallory", "alice-password")
    assert "alice" in directory and directory.names() == ["alice"]
