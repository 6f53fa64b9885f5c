package io.streaminfer.tracing.internal;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.List;

/**
 * The configured sampler, except that a span without a parent whose links include a sampled span context is kept:
 * a model call's batch span is a root linked to the requests it carried, and it belongs to the traces of those that
 * are sampled, whatever the root ratio says.
 */
public final class LinkSampledSampler implements Sampler {
    private final Sampler delegate;

    public LinkSampledSampler(Sampler delegate) {
        this.delegate = delegate;
    }

    @Override
    public SamplingResult shouldSample(Context parentContext, String traceId, String name, SpanKind spanKind,
            Attributes attributes, List<LinkData> parentLinks) {
        if (!Span.fromContext(parentContext).getSpanContext().isValid()) {
            for (LinkData l : parentLinks) {
                if (l.getSpanContext().isSampled()) {
                    return SamplingResult.recordAndSample();
                }
            }
        }
        return delegate.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
    }

    @Override
    public String getDescription() {
        return "LinkSampled{" + delegate.getDescription() + "}";
    }
}
