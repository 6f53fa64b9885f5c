package io.streaminfer.contract.model;

import java.util.Objects;

/** One message of a chat, as OpenAI's API and the generation request contract carry it. */
public record ChatMessage(Role role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    /** Who wrote a message ({@code developer} is OpenAI's newer name for {@code system}). */
    public enum Role {
        SYSTEM, USER, ASSISTANT;

        /** The role of a wire name: system, developer, user or assistant. */
        public static Role parse(String name) {
            if (name == null) {
                throw new IllegalArgumentException("a message needs a role (system, user or assistant)");
            }
            return switch (name) {
                case "system", "developer" -> SYSTEM;
                case "user" -> USER;
                case "assistant" -> ASSISTANT;
                default -> throw new IllegalArgumentException("unknown message role '" + name
                        + "'; expected system, developer, user or assistant");
            };
        }
    }
}
