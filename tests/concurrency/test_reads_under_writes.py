"""A read never fails because of bookkeeping: gunicorn with 4 workers on the test's database
(SQLite by default), 12 clients reading GET /api/v1/me with many tokens (each token's first use
records its last-used time) while 4 clients PATCH an instrument, for about 20 seconds: every
answer is 200. On SQLite the last-used time used to be written inside the read's transaction,
which cannot take the write lock once another worker has written: 500 "database is locked".

Select these tests with `pytest -m concurrency`; benchmarks/bench_token_reads.py runs the same
load for a minute or more.
"""

import pytest

from equipment_share.extensions import db
from equipment_share.models import ApiToken
from equipment_share.services.tokens import issue_token
from tests.concurrency.mixed_load import run_mixed_load
from tests.concurrency.server import serving

pytestmark = pytest.mark.concurrency

READERS = 12
WRITERS = 4
TOKENS_PER_READER = 40
SECONDS = 20


def test_reads_do_not_fail_while_others_write(
    app, make_user, make_equipment, api_headers, tmp_path
):
    platform_user = make_user("platform")
    equipment_id = make_equipment(platform_user.organization).id
    writer_headers = api_headers(platform_user)
    readers = [make_user("sme") for _ in range(READERS)]
    reader_tokens = [[issue_token(user) for _ in range(TOKENS_PER_READER)] for user in readers]
    db.session.commit()

    with serving(app, tmp_path, writer_headers) as server:
        result = run_mixed_load(
            server.port,
            reader_tokens,
            writer_headers,
            equipment_id,
            writers=WRITERS,
            seconds=SECONDS,
        )
        alive, log = server.process.poll() is None, server.log_tail()

    print(result.summary())
    assert alive, log
    assert result.errors == 0, (result.failures, log)
    assert result.statuses[("read", 200)] > READERS  # every reader got through
    assert result.statuses[("write", 200)] > WRITERS
    used = db.session.scalar(
        db.select(db.func.count()).select_from(ApiToken).where(ApiToken.last_used_at.is_not(None))
    )
    assert used > READERS  # the bookkeeping still happens
