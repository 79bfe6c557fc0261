"""A logging filter that masks personal data in every record before it is written.

Attached to the handlers of the Rasa server, the action server, the console and the channel
adapters (``logging.yml`` and :func:`install`), so a phone number, card number or password
typed by a customer never reaches a log file, whichever library logged it and however:

* the message with its arguments, the formatted traceback (exception texts and reprs of
  locals quote user input) and any stack info are masked, escaped text included
  (:func:`gopay_support.core.pii.mask` unescapes ``\\uXXXX`` first);
* Python warnings (Rasa warns about a message that starts with "/" by quoting it) are
  routed into logging (``logging.captureWarnings``) as soon as the filter exists, so they
  pass the same filter instead of going to stderr untouched.
"""

from __future__ import annotations

import logging

from gopay_support.core.pii import mask


class MaskingFilter(logging.Filter):
    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        # Warnings otherwise print straight to stderr (the process's log file), unmasked.
        logging.captureWarnings(True)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        record.msg = mask(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception texts may quote user input; keep the type and the stack, mask the text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def install(level: int = logging.INFO) -> None:
    """Mask every record of this process: on the root handlers, added if missing."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in root.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
    logging.captureWarnings(True)
