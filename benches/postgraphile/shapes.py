"""The three request shapes of benches/postgraphile.sh, as each contender asks for them, and
the check that all three return the same objects.

  python3 shapes.py body catalyst|postgraphile SHAPE   the JSON body of the GraphQL request
  python3 shapes.py sql SHAPE                          the hand-written json_agg statement
  python3 shapes.py same SHAPE CATALYST POSTGRAPHILE SQL   exit 1 unless the three answers
                                                       (files of JSON) hold the same objects
Shapes: 20x50, 100x20, 20x50-people (members -> user, tasks -> assignee).
"""

import json
import sys

SHAPES = {
    "20x50": (20, 50, False),
    "100x20": (100, 20, False),
    "20x50-people": (20, 50, True),
}


def catalyst(projects, tasks, people):
    members = "members { user { email } } " if people else ""
    assignee = " assignee { displayName }" if people else ""
    return (
        f"{{ projects(first: {projects}) {{ edges {{ node {{ id name {members}"
        f"tasks(first: {tasks}) {{ edges {{ node {{ id title status position{assignee} }} }} }} }} }} }} }}"
    )


def postgraphile(projects, tasks, people):
    members = (
        "projectMembersByProjectId(orderBy: [CREATED_AT_ASC, USER_ID_ASC]) "
        "{ nodes { userByUserId { email } } } "
        if people
        else ""
    )
    assignee = " userByAssigneeId { displayName }" if people else ""
    return (
        f"{{ allProjects(first: {projects}, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) "
        f"{{ edges {{ node {{ rowId name {members}"
        f"tasksByProjectId(first: {tasks}, orderBy: [STATUS_RANK_ASC, POSITION_ASC, ROW_ID_ASC]) "
        f"{{ edges {{ node {{ rowId title status position{assignee} }} }} }} }} }} }} }}"
    )


def sql(projects, tasks, people):
    members = (
        """, 'members', (SELECT coalesce(json_agg(json_build_object('email', m.email)), '[]')
            FROM (SELECT u.email FROM project_members pm JOIN users u ON u.id = pm.user_id
                  WHERE pm.project_id = p.id ORDER BY pm.created_at, pm.user_id) m)"""
        if people
        else ""
    )
    assignee = (
        ", 'assignee', (SELECT json_build_object('displayName', u.display_name) "
        "FROM users u WHERE u.id = t.assignee_id)"
        if people
        else ""
    )
    return f"""SELECT json_agg(json_build_object('id', p.id, 'name', p.name{members},
    'tasks', (SELECT coalesce(json_agg(json_build_object('id', t.id, 'title', t.title,
                  'status', t.status, 'position', t.position{assignee})), '[]')
              FROM (SELECT * FROM tasks WHERE project_id = p.id
                    ORDER BY status_rank, position, id LIMIT {tasks}) t)))
FROM (SELECT id, name FROM projects ORDER BY created_at, id LIMIT {projects}) p;
"""


def objects(kind, answer):
    """Projects as (name, members' emails, tasks as (title, status, position, assignee))."""
    def user(value, key):
        return value[key] if value else None

    if kind == "sql":
        return [
            (
                p["name"],
                [m["email"] for m in p.get("members", [])],
                [
                    (t["title"], t["status"], t["position"], user(t.get("assignee"), "displayName"))
                    for t in p["tasks"]
                ],
            )
            for p in answer
        ]
    if kind == "catalyst":
        projects = [edge["node"] for edge in answer["data"]["projects"]["edges"]]
        return [
            (
                p["name"],
                [m["user"]["email"] for m in p.get("members", [])],
                [
                    (t["title"], t["status"], t["position"], user(t.get("assignee"), "displayName"))
                    for t in (edge["node"] for edge in p["tasks"]["edges"])
                ],
            )
            for p in projects
        ]
    projects = [edge["node"] for edge in answer["data"]["allProjects"]["edges"]]
    return [
        (
            p["name"],
            [m["userByUserId"]["email"] for m in p.get("projectMembersByProjectId", {"nodes": []})["nodes"]],
            [
                (t["title"], t["status"], t["position"], user(t.get("userByAssigneeId"), "displayName"))
                for t in (edge["node"] for edge in p["tasksByProjectId"]["edges"])
            ],
        )
        for p in projects
    ]


def main(args):
    command, *rest = args
    if command == "body":
        system, shape = rest
        query = {"catalyst": catalyst, "postgraphile": postgraphile}[system](*SHAPES[shape])
        print(json.dumps({"query": query}))
    elif command == "sql":
        print(sql(*SHAPES[rest[0]]))
    elif command == "same":
        shape, *files = rest
        answers = [json.load(open(path)) for path in files]
        found = [objects(kind, answer) for kind, answer in zip(["catalyst", "postgraphile", "sql"], answers)]
        projects, tasks, people = SHAPES[shape]
        expected_tasks = projects * tasks
        counts = [sum(len(p[2]) for p in f) for f in found]
        if not (found[0] == found[1] == found[2]) or counts[0] != expected_tasks:
            print(f"{shape}: DIFFERENT objects (tasks: catalyst {counts[0]}, postgraphile {counts[1]}, sql {counts[2]})")
            return 1
        print(f"{shape}: the same {len(found[0])} projects and {counts[0]} tasks from all three")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
