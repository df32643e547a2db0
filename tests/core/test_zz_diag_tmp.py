import httpx
from tests.core.test_api_fuzz import _world, _operations, _base_body, _request_of, _primary, BASE_URL
import re
async def test_diag(app, session, connection, settings):
    world = await _world(session, settings)
    spec = app.openapi()
    out=[]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 12345))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        for op in _operations(app):
            raw = spec["paths"][op.path][op.method.lower()]
            content = raw.get("requestBody", {}).get("content", {})
            if not content: continue
            media = next(iter(content))
            names = re.findall(r"{(\w+)}", op.path)
            path_ids = {n: world.path_ids.get(n, "00000000-0000-0000-0000-000000000000") for n in names}
            body = _base_body(op, path_ids)
            req = _request_of(op.Case(path_parameters=path_ids, body=body, media_type=media))
            ident = _primary(op)[0]
            req.headers.update(world.headers[ident])
            sp = await connection.begin_nested()
            r = await client.send(req)
            await sp.rollback()
            code = r.json().get("code") if r.status_code>=400 else ""
            det = r.json().get("detail","") if r.status_code>=400 else ""
            out.append(f"{r.status_code} {code} {op.method} {op.path} {ident} {str(body)[:80]} | {str(det)[:100]}")
    open("/tmp/fz/diag.txt","w").write("\n".join(out))
