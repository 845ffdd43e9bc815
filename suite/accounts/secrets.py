import hashlib
import hmac
import secrets


def new_secret(prefix: str) -> str:
    return f"{prefix}{secrets.token_urlsafe(32)}"


def hash_secret(raw: str) -> str:
    # Keys are 256-bit random, so a fast hash is safe and lets us look them up by index.
    return hashlib.sha256(raw.encode()).hexdigest()


def hash_code(phone: str, code: str, salt: str) -> str:
    return hmac.new(salt.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()
