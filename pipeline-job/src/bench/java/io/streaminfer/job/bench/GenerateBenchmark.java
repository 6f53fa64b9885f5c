package io.streaminfer.job.bench;

import io.streaminfer.contract.model.ModelRepository;
import io.streaminfer.contract.model.ModelVersion;
import io.streaminfer.generation.DecoderModel;
import io.streaminfer.generation.EngineListener;
import io.streaminfer.generation.GenerationEngine;
import io.streaminfer.generation.GenerationListener;
import io.streaminfer.generation.GenerationRequest;
import io.streaminfer.generation.GenerationResult;
import io.streaminfer.generation.SamplingParams;
import io.streaminfer.runtime.GenerativeReplica;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code deploy/bin/bench-generate}: generation on the same real workload ({@link GenerationWorkload}) four ways, in
 * one run, greedy and with the same output lengths:
 * <ol>
 *   <li>the raw model with request-level (static) batching: batches of {@code --batch} requests in arrival order,
 *       each running until its longest member ends (the limit of a server without continuous batching);</li>
 *   <li>the engine's continuous batching in this process, every request queued at once (saturation);</li>
 *   <li>the engine at 70 % of that saturation, open loop (Poisson arrivals);</li>
 *   <li>the engine at 10 % (low load), with the raw model's prefill of the same prompts alone for comparison.</li>
 * </ol>
 * It prints tokens/s, time to first token and inter-token latency (p50 / p99). {@code deploy/bin/bench-generate}
 * runs the test sources' {@code GenerateJobBenchmark}, which adds the whole job through Kafka to the same table.
 */
public final class GenerateBenchmark {
    private GenerateBenchmark() {}

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (o == null) {
            return;
        }
        InProcess p = runInProcess(o);
        System.out.println();
        printHeader();
        p.print();
    }

    /** The command line, shared with the benchmark that adds the job through Kafka. */
    record Options(Path modelsDir, String model, int requests, int batch, int stepTokens, int maxPrompt,
            int maxOutput, long seed, List<String> phases) {
        static final String USAGE = "usage: bench-generate [--model sotu-gpt] [--requests 200] [--batch N (default: "
                + "the model's max_batch_size)] [--step-tokens N (default: the model's step_tokens; in-process phases)] "
                + "[--max-prompt 192] [--max-output 320] [--seed 42] [--phases "
                + "raw,engine,job] [--models-dir DIR]";

        /** Null after printing the usage for --help. */
        static Options parse(String[] args) {
            Path modelsDir = Path.of(System.getProperty("streaminfer.models.dir", "deploy/models"));
            String model = "sotu-gpt";
            int requests = 200;
            int batch = 0;
            int stepTokens = 0;
            int maxPrompt = 192;
            int maxOutput = 320;
            long seed = 42;
            List<String> phases = List.of("raw", "engine", "job");
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--models-dir" -> modelsDir = Path.of(args[++i]);
                    case "--model" -> model = args[++i];
                    case "--requests" -> requests = Integer.parseInt(args[++i]);
                    case "--batch" -> batch = Integer.parseInt(args[++i]);
                    case "--step-tokens" -> stepTokens = Integer.parseInt(args[++i]);
                    case "--max-prompt" -> maxPrompt = Integer.parseInt(args[++i]);
                    case "--max-output" -> maxOutput = Integer.parseInt(args[++i]);
                    case "--seed" -> seed = Long.parseLong(args[++i]);
                    case "--phases" -> phases = List.of(args[++i].split(","));
                    case "--help" -> {
                        System.out.println(USAGE);
                        return null;
                    }
                    default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; " + USAGE);
                }
            }
            return new Options(modelsDir, model, requests, batch, stepTokens, maxPrompt, maxOutput, seed, phases);
        }
    }

    /** The in-process phases' figures, printed side by side with whatever phases follow. */
    record InProcess(ModelVersion model, List<GenerationWorkload.Item> items, int limit, Row raw, Row prefill,
            Row saturated, Row seventy, Row low) {
        double saturatedRequestsPerSecond() {
            return items.size() / saturated.seconds;
        }

        void print() {
            double rps = saturatedRequestsPerSecond();
            GenerateBenchmark.print("1 raw model, static batches of " + limit, raw, raw);
            GenerateBenchmark.print("2 engine, continuous batching, saturated", saturated, raw);
            GenerateBenchmark.print(String.format("  engine, open loop at 70%% (%.1f req/s)", 0.7 * rps), seventy,
                    raw);
            GenerateBenchmark.print(String.format("  engine, open loop at 10%% (%.1f req/s)", 0.1 * rps), low, raw);
            System.out.printf("%-46s %10s %7s %21s%n", "  raw model, each prompt's prefill alone", "", "",
                    String.format("%8.1f / %8.1f", prefill.ttft.percentileMs(50), prefill.ttft.percentileMs(99)));
        }
    }

    static void printHeader() {
        System.out.printf("%-46s %10s %7s %21s %21s%n", "phase", "tokens/s", "ratio", "TTFT p50 / p99 ms",
                "ITL p50 / p99 ms");
    }

    /** Phases 1 and 2 on one replica in this process. */
    static InProcess runInProcess(Options o) throws Exception {
        ModelVersion model = ModelRepository.open(o.modelsDir()).resolve(o.model(), null);
        int limit = o.batch() > 0 ? o.batch() : model.config().maxBatchSize();
        List<GenerationWorkload.Item> items = GenerationWorkload.build(model, o.modelsDir(), o.requests(),
                o.maxPrompt(), o.maxOutput(), o.seed());
        System.out.println("bench-generate: " + model.key() + ", " + GenerationWorkload.describe(items));
        try (GenerativeReplica replica = GenerativeReplica.load(model, null)) {
            System.out.printf("batch limit %d (running sequences); step tokens %d in-process; %d cores; greedy, "
                    + "ignore_eos%n", limit, o.stepTokens() > 0 ? o.stepTokens()
                    : replica.engineConfig().build().stepTokens(), Runtime.getRuntime().availableProcessors());
            warmUp(replica, items);
            Row raw = staticBatches(replica.decoder(), items, limit);
            Row prefill = prefillAlone(replica.decoder(), items);
            Row saturated = engine(replica, items, limit, o.stepTokens(), 0);
            double rps = items.size() / saturated.seconds;
            Row seventy = engine(replica, items, limit, o.stepTokens(), 0.7 * rps);
            Row low = engine(replica, items, limit, o.stepTokens(), 0.1 * rps);
            return new InProcess(model, items, limit, raw, prefill, saturated, seventy, low);
        }
    }

    /** What one phase measured. */
    record Row(long tokens, double seconds, Stats ttft, Stats itl) {
        double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    static void print(String name, Row row, Row base) {
        System.out.printf("%-46s %10.1f %7.2f %21s %21s%n", name, row.tokensPerSecond(),
                row.tokensPerSecond() / base.tokensPerSecond(),
                String.format("%8.1f / %8.1f", row.ttft.percentileMs(50), row.ttft.percentileMs(99)),
                String.format("%8.2f / %8.2f", row.itl.percentileMs(50), row.itl.percentileMs(99)));
    }

    private static void warmUp(GenerativeReplica replica, List<GenerationWorkload.Item> items) {
        engine(replica, items.subList(0, Math.min(16, items.size())), replica.engineConfig().build().maxRunning(), 0,
                0);
    }

    /** Request-level batching: a batch starts when the one before it has ended, and runs until its longest ends. */
    static Row staticBatches(DecoderModel model, List<GenerationWorkload.Item> items, int limit) {
        int vocab = model.vocabularySize();
        long start = System.nanoTime();
        long[] ttft = new long[items.size()];
        long[] itl = new long[items.stream().mapToInt(GenerationWorkload.Item::outputTokens).sum()];
        int gaps = 0;
        long useful = 0;
        for (int from = 0; from < items.size(); from += limit) {
            List<GenerationWorkload.Item> group = items.subList(from, Math.min(items.size(), from + limit));
            try (DecoderModel.Cache batch = model.newCache()) {
                int[] last = new int[group.size()];
                int[] position = new int[group.size()];
                int longest = 0;
                for (int r = 0; r < group.size(); r++) {
                    GenerationWorkload.Item item = group.get(r);
                    try (DecoderModel.Cache single = model.newCache()) {
                        last[r] = argmax(model.extend(single, item.prompt(), 0), 0, vocab);
                        model.join(batch, single);
                    }
                    position[r] = item.prompt().length;
                    longest = Math.max(longest, item.outputTokens());
                }
                long first = System.nanoTime();
                for (int r = 0; r < group.size(); r++) {
                    ttft[from + r] = first - start; // a batch's first tokens come when all its prompts are in
                }
                useful += group.size();
                long before = first;
                for (int step = 1; step < longest; step++) {
                    float[] logits = model.step(batch, last, position);
                    long now = System.nanoTime();
                    for (int r = 0; r < group.size(); r++) {
                        last[r] = argmax(logits, r * vocab, vocab);
                        position[r]++;
                        if (step < group.get(r).outputTokens()) {
                            useful++;
                            itl[gaps++] = now - before;
                        }
                    }
                    before = now;
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Row(useful, seconds, new Stats(ttft, ttft.length), new Stats(itl, gaps));
    }

    /** Each prompt's prefill alone, the model's own time to a first token. */
    static Row prefillAlone(DecoderModel model, List<GenerationWorkload.Item> items) {
        long[] times = new long[items.size()];
        long start = System.nanoTime();
        for (int i = 0; i < items.size(); i++) {
            long t0 = System.nanoTime();
            try (DecoderModel.Cache c = model.newCache()) {
                model.extend(c, items.get(i).prompt(), 0);
            }
            times[i] = System.nanoTime() - t0;
        }
        return new Row(items.size(), (System.nanoTime() - start) / 1e9, new Stats(times, times.length),
                new Stats(new long[0], 0));
    }

    /**
     * The engine: all requests at once ({@code rate} 0), or Poisson arrivals at {@code rate} per second; {@code
     * stepTokens} 0 keeps the model's.
     */
    static Row engine(GenerativeReplica replica, List<GenerationWorkload.Item> items, int limit, int stepTokens,
            double rate) {
        long[] itl = new long[items.stream().mapToInt(GenerationWorkload.Item::outputTokens).sum() + 16];
        int[] gaps = {0};
        EngineListener listener = new EngineListener() {
            @Override
            public void onNextToken(long nanos) {
                if (gaps[0] < itl.length) {
                    itl[gaps[0]++] = nanos;
                }
            }
        };
        var builder = replica.engineConfig().maxRunning(limit).maxWaiting(items.size() + 1);
        var config = (stepTokens > 0 ? builder.stepTokens(stepTokens) : builder).build();
        Random arrivals = new Random(7);
        List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
        long start = System.nanoTime();
        try (GenerationEngine engine = new GenerationEngine(replica.decoder(), replica.tokens(), config,
                GenerationListener.NONE, listener)) {
            long next = start;
            for (GenerationWorkload.Item item : items) {
                if (rate > 0) {
                    next += (long) (-Math.log(1 - arrivals.nextDouble()) / rate * 1e9);
                    LockSupport.parkNanos(next - System.nanoTime());
                }
                SamplingParams p = SamplingParams.builder().maxTokens(item.outputTokens()).temperature(0)
                        .ignoreEos(true).build();
                results.add(engine.submit(GenerationRequest.builder(item.id(), item.prompt(), p).build()));
            }
            CompletableFuture.allOf(results.toArray(new CompletableFuture[0])).join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long tokens = 0;
        long[] ttft = new long[results.size()];
        for (int i = 0; i < results.size(); i++) {
            GenerationResult r = results.get(i).join();
            tokens += r.completionTokens();
            ttft[i] = r.firstTokenNanos();
        }
        return new Row(tokens, seconds, new Stats(ttft, ttft.length), new Stats(Arrays.copyOf(itl, gaps[0]),
                gaps[0]));
    }

    private static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        for (int t = 1; t < vocab; t++) {
            if (logits[offset + t] > logits[offset + best]) {
                best = t;
            }
        }
        return best;
    }
}
