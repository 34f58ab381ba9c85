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
INSERT INTO "history" VALUES('delayed',0,1,1796183455.1556,-1,'sleeper','0.5','{"execution": "e3a81cd7cda74edf96d36bfef3e9dbe9"}');
INSERT INTO "history" VALUES('done',0,1,1.79618345215871334083e+09,-1,'approval','{"item": "pen"}','{"execution": "79d5ca53c5994cc7a7be272693858e8b"}');
INSERT INTO "history" VALUES('done',1,7,1.79618345218588089939e+09,-1,'approval','"yes"',NULL);
INSERT INTO "history" VALUES('done',2,2,1.79618345218595623974e+09,0,'echo','{"order": {"item": "pen"}, "decision": "yes"}',NULL);
INSERT INTO "history" VALUES('done',3,3,1.79618345218627476693e+09,0,NULL,'{"order": {"item": "pen"}, "decision": "yes"}',NULL);
INSERT INTO "history" VALUES('done',4,13,1.7961834521864213943e+09,-1,NULL,'{"order": {"item": "pen"}, "decision": "yes"}',NULL);
INSERT INTO "history" VALUES('failed',0,1,1.79618345216266345979e+09,-1,'failing',NULL,'{"execution": "4ae4d7a51b7246ee945733e49cc660ea"}');
INSERT INTO "history" VALUES('failed',1,14,1.79618345216371655469e+09,-1,NULL,NULL,'{"error_type": "ValueError", "message": "always fails", "stack_trace": "Traceback (most recent call last):\n  File \"/tmp/v0path/builtin_engine/_replay.py\", line 243, in _start\n    result = entry.fn(self._ctx, from_json(event.data, entry.signature.input_type))\n             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/tmp/v0path/tests/unit/engine/upgrade/flows.py\", line 65, in failing\n    raise ValueError(\"always fails\")\nValueError: always fails\n"}');
INSERT INTO "history" VALUES('parent',0,1,1.79618345214622569076e+09,-1,'parent','"p"','{"execution": "fad27ac5506f4ab5b72fa42c5c760c15"}');
INSERT INTO "history" VALUES('parent',1,8,1.79618345214965391158e+09,0,'child','"p"','parent-kid');
INSERT INTO "history" VALUES('parent-kid',0,1,1.79618345214968180663e+09,-1,'child','"p"','{"execution": "60035c8118ae4347bd6bf03c09f24b24"}');
INSERT INTO "history" VALUES('retrying',0,1,1.79618345213963150975e+09,-1,'retrier','"r"','{"execution": "a7a61612ef8541a2ad27c81a52cdc70c"}');
INSERT INTO "history" VALUES('retrying',1,2,1.79618345214120411876e+09,0,'flaky','"r"',NULL);
INSERT INTO "history" VALUES('retrying',2,4,1.79618345214369869232e+09,0,NULL,NULL,'{"error_type": "RuntimeError", "message": "first attempt fails", "stack_trace": "Traceback (most recent call last):\n  File \"/tmp/v0path/builtin_engine/_steps.py\", line 466, in _run_activity\n    result = await self.loop.run_in_executor(self._activity_pool, _call, entry, ctx, data)\n             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/concurrent/futures/thread.py\", line 58, in run\n    result = self.fn(*self.args, **self.kwargs)\n             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/tmp/v0path/builtin_engine/_steps.py\", line 596, in _call\n    return entry.fn(ctx, from_json(data, entry.signature.input_type))\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/tmp/v0path/tests/unit/engine/upgrade/flows.py\", line 28, in flaky\n    raise RuntimeError(\"first attempt fails\")\nRuntimeError: first attempt fails\n"}');
INSERT INTO "history" VALUES('retrying',3,5,1.79618345214376163481e+09,1,NULL,NULL,'1796183454.1436987');
INSERT INTO "history" VALUES('sleeping',0,1,1.7961834520097436905e+09,-1,'sleeper','3.0','{"execution": "d824b38adc1a4e019b178f409ec03700"}');
INSERT INTO "history" VALUES('sleeping',1,5,1.79618345213884496695e+09,0,NULL,NULL,'1796183455.0097437');
INSERT INTO "history" VALUES('suspended',0,1,1.79618345215158367158e+09,-1,'approval','{"item": "bike"}','{"execution": "b3411c467fd0457e8bf5943490321c92"}');
INSERT INTO "history" VALUES('suspended',1,11,1.79618345217757463452e+09,-1,NULL,NULL,NULL);
INSERT INTO "history" VALUES('suspended',2,7,1796183452.17907,-1,'approval','"held while suspended"',NULL);
INSERT INTO "history" VALUES('waiting',0,1,1.7961834520021395683e+09,-1,'approval','{"item": "car"}','{"execution": "8b03018765664163abea3d100da9430d"}');
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT,
    data TEXT,
    created_at REAL NOT NULL
);
INSERT INTO "inbox" VALUES(1,'parent','terminate','recursive','"stopped"',1.79618345223074579244e+09);
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
INSERT INTO "instances" VALUES('waiting','approval','RUNNING',1.7961834520021395683e+09,1.79618345200600218773e+09,'{"item": "car"}',NULL,'"waiting"',NULL,NULL,NULL,NULL,-1,'8b03018765664163abea3d100da9430d');
INSERT INTO "instances" VALUES('sleeping','sleeper','RUNNING',1.7961834520097436905e+09,1.79618345213884496695e+09,'3.0',NULL,NULL,NULL,NULL,NULL,NULL,-1,'d824b38adc1a4e019b178f409ec03700');
INSERT INTO "instances" VALUES('retrying','retrier','RUNNING',1.79618345213963150975e+09,1.79618345214376163481e+09,'"r"',NULL,NULL,NULL,NULL,NULL,NULL,-1,'a7a61612ef8541a2ad27c81a52cdc70c');
INSERT INTO "instances" VALUES('parent','parent','RUNNING',1.79618345214622569076e+09,1.79618345214965391158e+09,'"p"',NULL,NULL,NULL,NULL,NULL,NULL,-1,'fad27ac5506f4ab5b72fa42c5c760c15');
INSERT INTO "instances" VALUES('parent-kid','child','RUNNING',1.79618345214968180663e+09,1.7961834521497378349e+09,'"p"',NULL,NULL,NULL,NULL,NULL,'parent',0,'60035c8118ae4347bd6bf03c09f24b24');
INSERT INTO "instances" VALUES('suspended','approval','SUSPENDED',1.79618345215158367158e+09,1.79618345217908358568e+09,'{"item": "bike"}',NULL,'"waiting"',NULL,NULL,NULL,NULL,-1,'b3411c467fd0457e8bf5943490321c92');
INSERT INTO "instances" VALUES('delayed','sleeper','PENDING',1.79618345215571308137e+09,1.79618345215571308137e+09,'0.5',NULL,NULL,NULL,NULL,NULL,NULL,-1,'e3a81cd7cda74edf96d36bfef3e9dbe9');
INSERT INTO "instances" VALUES('done','approval','COMPLETED',1.79618345215871334083e+09,1.7961834521864213943e+09,'{"item": "pen"}','{"order": {"item": "pen"}, "decision": "yes"}','"waiting"',NULL,NULL,NULL,NULL,-1,'79d5ca53c5994cc7a7be272693858e8b');
INSERT INTO "instances" VALUES('failed','failing','FAILED',1.79618345216266345979e+09,1.79618345216371655469e+09,NULL,NULL,NULL,'ValueError','always fails','Traceback (most recent call last):
  File "/tmp/v0path/builtin_engine/_replay.py", line 243, in _start
    result = entry.fn(self._ctx, from_json(event.data, entry.signature.input_type))
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/tmp/v0path/tests/unit/engine/upgrade/flows.py", line 65, in failing
    raise ValueError("always fails")
ValueError: always fails
',NULL,-1,'4ae4d7a51b7246ee945733e49cc660ea');
CREATE INDEX instances_by_created ON instances (created_at DESC, instance_id DESC);
CREATE INDEX instances_by_status ON instances (status);
CREATE INDEX instances_by_parent ON instances (parent_id) WHERE parent_id IS NOT NULL;
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('inbox',1);
COMMIT;
