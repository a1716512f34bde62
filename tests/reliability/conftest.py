"""The production topology on this machine: two Rasa replicas and two action servers on PostgreSQL + Redis."""
import os
import secrets

import psycopg2
import pytest
import redis

from tests.stack import Stack

PG = dict(host=os.environ.get("TEST_PG_HOST", "127.0.0.1"), port=int(os.environ.get("TEST_PG_PORT", "5432")),
          user=os.environ.get("TEST_PG_USER", "postgres"), password=os.environ.get("TEST_PG_PASSWORD", ""))
REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "5"))


def production_env(db: str) -> dict:
    return {
        "TRACKER_DB_HOST": PG["host"], "TRACKER_DB_PORT": str(PG["port"]), "TRACKER_DB_NAME": db,
        "TRACKER_DB_USER": PG["user"], "TRACKER_DB_PASSWORD": PG["password"],
        "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": str(REDIS_DB), "TICKET_LOCK_LIFETIME": "10",
    }


@pytest.fixture
def pg_database():
    name = f"hegui_rel_{secrets.token_hex(4)}"
    conn = psycopg2.connect(dbname="postgres", **PG)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')
    conn.close()
    yield name
    conn = psycopg2.connect(dbname="postgres", **PG)  # a fresh connection: a test may have restarted the server
    conn.autocommit = True
    conn.cursor().execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
    conn.close()
    redis.Redis(db=REDIS_DB).flushdb()


@pytest.fixture
def production_stack(pg_database):
    url = f"postgresql://{PG['user']}:{PG['password']}@{PG['host']}:{PG['port']}/{pg_database}"
    s = Stack(replicas=2, action_servers=2, endpoints="bot/endpoints.production.yml",
              env=production_env(pg_database), web_env={"TRACKER_DB_URL": url})
    s.start()
    s.pg_url = url
    s.pg_database = pg_database
    yield s
    s.stop()


def user_texts(db: str, sender: str) -> list[str]:
    import json

    conn = psycopg2.connect(dbname=db, **PG)
    try:
        cur = conn.cursor()
        cur.execute("SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", (sender,))
        return [json.loads(row[0])["text"] for row in cur.fetchall()]
    finally:
        conn.close()
