package io.streaminfer.bridge.console;

import io.streaminfer.bridge.jobs.JobView;
import io.streaminfer.contract.model.ModelRepository;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The web console: static pages at {@code /console/} ({@code /} and {@code /console} redirect there), served from
 * this package's resources with no build step, and the two small JSON endpoints they read besides the bridge's own
 * APIs: {@code GET /console/api/models} (the repository: kind, description, versions, inputs, outputs) and
 * {@code GET /console/api/jobs?limit=N} (the jobs changed last, from the {@link JobView}). The pages are open; the
 * API is behind the same tokens as the rest (the router's auth handler on {@code /console/api/*}), which the page
 * sends from a field it keeps in the browser's local storage.
 *
 * <pre>{@code
 * router.route("/console/api/*").handler(auth);
 * new ConsoleRoutes(repository, jobs).mount(router);
 * }</pre>
 */
public final class ConsoleRoutes {
    /** Where the pages live; {@code /console} (no slash) would resolve their relative links against {@code /}. */
    public static final String HOME = "/console/";
    private static final int MAX_JOBS = 200;
    private static final int DEFAULT_JOBS = 25;

    private final ConsoleAssets assets = ConsoleAssets.load();
    private final ConsoleJson json;

    public ConsoleRoutes(ModelRepository repository, JobView jobs) {
        this.json = new ConsoleJson(repository, jobs);
    }

    public void mount(Router r) {
        r.get("/").handler(ConsoleRoutes::redirect);
        // Vert.x matches "/console" and "/console/" alike: tell them apart by the path itself.
        r.get("/console").handler(ctx -> {
            if (ctx.normalizedPath().endsWith("/")) {
                serve(ctx, "index.html");
            } else {
                redirect(ctx);
            }
        });
        r.get("/console/api/models").handler(ctx -> reply(ctx, 200, json.models()));
        r.get("/console/api/jobs").handler(this::jobs);
        r.get("/console/:file").handler(ctx -> serve(ctx, ctx.pathParam("file")));
    }

    private void jobs(RoutingContext ctx) {
        String limit = ctx.request().getParam("limit");
        int n = DEFAULT_JOBS;
        if (limit != null) {
            try {
                n = Integer.parseInt(limit);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > MAX_JOBS) {
                reply(ctx, 400, json.error("limit must be a number from 1 to " + MAX_JOBS + ", got '" + limit
                        + "'"));
                return;
            }
        }
        reply(ctx, 200, json.jobs(n));
    }

    private void serve(RoutingContext ctx, String file) {
        ConsoleAssets.Asset a = assets.get(file);
        if (a == null) {
            ctx.next(); // the router's 404
            return;
        }
        ctx.response().putHeader("Content-Type", a.contentType())
                // Same-origin only: the page talks to this bridge and nothing else (links open elsewhere).
                .putHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                        + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Cache-Control", "no-cache")
                .end(Buffer.buffer(a.bytes()));
    }

    private static void redirect(RoutingContext ctx) {
        ctx.response().setStatusCode(302).putHeader("Location", HOME).end();
    }

    private static void reply(RoutingContext ctx, int status, byte[] body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store").end(Buffer.buffer(body));
    }
}
