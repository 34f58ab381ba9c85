BEGIN TRANSACTION;
CREATE TABLE history (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type INTEGER NOT NULL,
    ts REAL NOT NULL,
    task_id INTEGER NOT NULL,
    name TEXT,
    data TEXT,
    extra TEXT,
    PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;
INSERT INTO "history" VALUES('delayed',0,1,1.7961839595490350723e+09,-1,'sleeper','0.5','{"execution": "a31fedbada9f49ea8b4eb630c171a255"}');
INSERT INTO "history" VALUES('done',0,1,1.79618395655092501642e+09,-1,'approval','{"item": "pen"}','{"execution": "63eed5fda55749cca2d1ad745a5f00c5"}');
INSERT INTO "history" VALUES('done',1,7,1.79618395656559205059e+09,-1,'approval','"yes"',NULL);
INSERT INTO "history" VALUES('done',2,2,1.79618395656567287448e+09,0,'echo','{"order": {"item": "pen"}, "decision": "yes"}',NULL);
INSERT INTO "history" VALUES('done',3,3,1.79618395656619620325e+09,0,NULL,'{"order": {"item": "pen"}, "decision": "yes"}',NULL);
INSERT INTO "history" VALUES('done',4,13,1.79618395656625413894e+09,-1,NULL,'{"order": {"item": "pen"}, "decision": "yes"}',NULL);
INSERT INTO "history" VALUES('failed',0,1,1.79618395655226755144e+09,-1,'failing',NULL,'{"execution": "dc425447ac1a45e99c7af0c7c704452b"}');
INSERT INTO "history" VALUES('failed',1,14,1.79618395655408382414e+09,-1,NULL,NULL,'{"error_type": "ValueError", "message": "always fails", "stack_trace": "Traceback (most recent call last):\n  File \"/tmp/v0path/builtin_engine/_replay.py\", line 243, in _start\n    result = entry.fn(self._ctx, from_json(event.data, entry.signature.input_type))\n             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/tmp/v0path/tests/unit/engine/upgrade/flows.py\", line 56, in failing\n    raise ValueError(\"always fails\")\nValueError: always fails\n"}');
INSERT INTO "history" VALUES('parent',0,1,1.79618395654428577418e+09,-1,'parent','"p"','{"execution": "ac8a7d6562b642969a5ced0972e4f0ac"}');
INSERT INTO "history" VALUES('parent',1,8,1.79618395654556083683e+09,0,'child','"p"','parent-kid');
INSERT INTO "history" VALUES('parent-kid',0,1,1.79618395654583120346e+09,-1,'child','"p"','{"execution": "9b97d4e424bc4b0b9ed6e438fa7cb27e"}');
INSERT INTO "history" VALUES('retrying',0,1,1.79618395653136801717e+09,-1,'retrier','"r"','{"execution": "03a505f555dc4dcc95534f4a4e067097"}');
INSERT INTO "history" VALUES('retrying',1,2,1.7961839565374019146e+09,0,'flaky','"r"',NULL);
INSERT INTO "history" VALUES('retrying',2,4,1.79618395654103350637e+09,0,NULL,NULL,'{"error_type": "RuntimeError", "message": "first attempt fails", "stack_trace": "Traceback (most recent call last):\n  File \"/tmp/v0path/builtin_engine/_steps.py\", line 466, in _run_activity\n    result = await self.loop.run_in_executor(self._activity_pool, _call, entry, ctx, data)\n             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/concurrent/futures/thread.py\", line 58, in run\n    result = self.fn(*self.args, **self.kwargs)\n             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/tmp/v0path/builtin_engine/_steps.py\", line 596, in _call\n    return entry.fn(ctx, from_json(data, entry.signature.input_type))\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/tmp/v0path/tests/unit/engine/upgrade/flows.py\", line 25, in flaky\n    raise RuntimeError(\"first attempt fails\")\nRuntimeError: first attempt fails\n"}');
INSERT INTO "history" VALUES('retrying',3,5,1.79618395654418802264e+09,1,NULL,NULL,'1796183958.5410335');
INSERT INTO "history" VALUES('sleeping',0,1,1.79618395639379358286e+09,-1,'sleeper','3.0','{"execution": "5caa092c72554dccabefcc52f193140f"}');
INSERT INTO "history" VALUES('sleeping',1,5,1.79618395652693200112e+09,0,NULL,NULL,'1796183959.3937936');
INSERT INTO "history" VALUES('suspended',0,1,1.79618395654726433754e+09,-1,'approval','{"item": "bike"}','{"execution": "1b8bec4a8baf4b41b847ca6e830ad0a1"}');
INSERT INTO "history" VALUES('suspended',1,11,1.79618395655910325055e+09,-1,NULL,NULL,NULL);
INSERT INTO "history" VALUES('suspended',2,7,1.79618395656273984904e+09,-1,'approval','"held while suspended"',NULL);
INSERT INTO "history" VALUES('waiting',0,1,1.79618395639065337181e+09,-1,'approval','{"item": "car"}','{"execution": "19a4414d42004e7abf3a8b95ccaa47fc"}');
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT,
    data TEXT,
    created_at REAL NOT NULL
);
INSERT INTO "inbox" VALUES(1,'parent','terminate','recursive','"stopped"',1.79618395658733558659e+09);
CREATE TABLE instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    failure_type TEXT,
    failure_message TEXT,
    failure_stack TEXT,
    parent_id TEXT,
    parent_task_id INTEGER NOT NULL DEFAULT -1,
    execution_id TEXT NOT NULL DEFAULT ''
);
INSERT INTO "instances" VALUES('waiting','approval','RUNNING',1.79618395639065337181e+09,1.79618395639308381078e+09,'{"item": "car"}',NULL,'"waiting"',NULL,NULL,NULL,NULL,-1,'19a4414d42004e7abf3a8b95ccaa47fc');
INSERT INTO "instances" VALUES('sleeping','sleeper','RUNNING',1.79618395639379358286e+09,1.79618395652693200112e+09,'3.0',NULL,NULL,NULL,NULL,NULL,NULL,-1,'5caa092c72554dccabefcc52f193140f');
INSERT INTO "instances" VALUES('retrying','retrier','RUNNING',1.79618395653136801717e+09,1.79618395654418802264e+09,'"r"',NULL,NULL,NULL,NULL,NULL,NULL,-1,'03a505f555dc4dcc95534f4a4e067097');
INSERT INTO "instances" VALUES('parent','parent','RUNNING',1.79618395654428577418e+09,1.79618395654556083683e+09,'"p"',NULL,NULL,NULL,NULL,NULL,NULL,-1,'ac8a7d6562b642969a5ced0972e4f0ac');
INSERT INTO "instances" VALUES('parent-kid','child','RUNNING',1.79618395654583120346e+09,1.79618395654590964319e+09,'"p"',NULL,NULL,NULL,NULL,NULL,'parent',0,'9b97d4e424bc4b0b9ed6e438fa7cb27e');
INSERT INTO "instances" VALUES('suspended','approval','SUSPENDED',1.79618395654726433754e+09,1.79618395656275320055e+09,'{"item": "bike"}',NULL,'"waiting"',NULL,NULL,NULL,NULL,-1,'1b8bec4a8baf4b41b847ca6e830ad0a1');
INSERT INTO "instances" VALUES('delayed','sleeper','PENDING',1.79618395654920125006e+09,1.79618395654920125006e+09,'0.5',NULL,NULL,NULL,NULL,NULL,NULL,-1,'a31fedbada9f49ea8b4eb630c171a255');
INSERT INTO "instances" VALUES('done','approval','COMPLETED',1.79618395655092501642e+09,1.79618395656625413894e+09,'{"item": "pen"}','{"order": {"item": "pen"}, "decision": "yes"}','"waiting"',NULL,NULL,NULL,NULL,-1,'63eed5fda55749cca2d1ad745a5f00c5');
INSERT INTO "instances" VALUES('failed','failing','FAILED',1.79618395655226755144e+09,1.79618395655408382414e+09,NULL,NULL,NULL,'ValueError','always fails','Traceback (most recent call last):
  File "/tmp/v0path/builtin_engine/_replay.py", line 243, in _start
    result = entry.fn(self._ctx, from_json(event.data, entry.signature.input_type))
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/tmp/v0path/tests/unit/engine/upgrade/flows.py", line 56, in failing
    raise ValueError("always fails")
ValueError: always fails
',NULL,-1,'dc425447ac1a45e99c7af0c7c704452b');
CREATE INDEX instances_by_created ON instances (created_at DESC, instance_id DESC);
CREATE INDEX instances_by_status ON instances (status);
CREATE INDEX instances_by_parent ON instances (parent_id) WHERE parent_id IS NOT NULL;
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('inbox',1);
COMMIT;
