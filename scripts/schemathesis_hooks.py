"""Hooks for scripts/schemathesis.sh: how to send the bodies that
schemathesis has no serializer for."""

import schemathesis


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    """`POST /api/v1/mail/inbound` takes a raw mail: send the generated text as bytes."""
    if isinstance(value, bytes):
        return {"data": value}
    if not isinstance(value, str):
        value = str(value)
    return {"data": value.encode("utf-8", "surrogatepass")}
