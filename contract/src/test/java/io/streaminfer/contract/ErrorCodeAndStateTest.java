package io.streaminfer.contract;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ErrorCodeAndStateTest {

    @Test
    void errorCodesMapToTheirHttpStatus() {
        assertThat(ErrorCode.MALFORMED_REQUEST.httpStatus()).isEqualTo(400);
        assertThat(ErrorCode.INVALID_INPUT.httpStatus()).isEqualTo(400);
        assertThat(ErrorCode.UNKNOWN_MODEL.httpStatus()).isEqualTo(404);
        assertThat(ErrorCode.PAYLOAD_TOO_LARGE.httpStatus()).isEqualTo(413);
        assertThat(ErrorCode.OVERLOADED.httpStatus()).isEqualTo(429);
        assertThat(ErrorCode.MODEL_ERROR.httpStatus()).isEqualTo(500);
        assertThat(ErrorCode.INTERNAL.httpStatus()).isEqualTo(500);
        assertThat(ErrorCode.RESULT_NOT_KEPT.httpStatus()).isEqualTo(410);
        assertThat(ErrorCode.DEADLINE_EXCEEDED.httpStatus()).isEqualTo(504);
        assertThat(ErrorCode.TIMEOUT.httpStatus()).isEqualTo(504);
    }

    @Test
    void exceptionFactoriesSetTheirCodes() {
        assertThat(InferenceException.invalidInput("m").code()).isEqualTo(ErrorCode.INVALID_INPUT);
        assertThat(InferenceException.malformed("m").code()).isEqualTo(ErrorCode.MALFORMED_REQUEST);
        RuntimeException cause = new RuntimeException("c");
        InferenceException e = new InferenceException(ErrorCode.MODEL_ERROR, "m", cause);
        assertThat(e).hasMessage("m").hasCause(cause);
        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_ERROR);
    }

    @Test
    void onlySucceededFailedExpiredAndCancelledAreFinal() {
        assertThat(RequestState.values()).filteredOn(RequestState::isFinal)
                .containsExactlyInAnyOrder(RequestState.SUCCEEDED, RequestState.FAILED, RequestState.EXPIRED,
                        RequestState.CANCELLED);
    }
}
