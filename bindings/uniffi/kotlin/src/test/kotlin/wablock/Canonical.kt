package wablock

import java.math.BigDecimal
import org.json.JSONArray
import org.json.JSONObject

/**
 * Canonical JSON text (docs/behaviour.md §5: compact, keys sorted) of an org.json value, written the way
 * the core's `canonical_string` (serde_json) writes it, so that the runner's composite results
 * (`blocked_users`, `is_blocked`) are byte-identical to the Rust runner's. Outcome, error and
 * page JSON is never rebuilt here: it is the core's own string.
 */
object Canonical {
    fun of(value: Any?): String = StringBuilder().also { write(value, it) }.toString()

    /** Parses JSON text (object or array) and writes it back canonically. */
    fun parse(text: String): String = of(if (text.trimStart().startsWith("[")) JSONArray(text) else JSONObject(text))

    private fun write(value: Any?, out: StringBuilder) {
        when (value) {
            null, JSONObject.NULL -> out.append("null")
            is JSONObject -> {
                out.append('{')
                value.keySet().sorted().forEachIndexed { i, k ->
                    if (i > 0) out.append(',')
                    quote(k, out)
                    out.append(':')
                    write(value.opt(k), out)
                }
                out.append('}')
            }
            is JSONArray -> {
                out.append('[')
                for (i in 0 until value.length()) {
                    if (i > 0) out.append(',')
                    write(value.opt(i), out)
                }
                out.append(']')
            }
            is String -> quote(value, out)
            is Boolean -> out.append(value.toString())
            is Int, is Long, is java.math.BigInteger -> out.append(value.toString())
            is BigDecimal -> out.append(value.stripTrailingZeros().toPlainString())
            is Number -> out.append(value.toString())
            else -> error("not a JSON value: ${value::class}")
        }
    }

    // serde_json's escaping: quote, backslash, the short escapes, other controls as \u00xx.
    private fun quote(s: String, out: StringBuilder) {
        out.append('"')
        for (c in s) {
            when (c) {
                '"' -> out.append("\\\"")
                '\\' -> out.append("\\\\")
                '\n' -> out.append("\\n")
                '\r' -> out.append("\\r")
                '\t' -> out.append("\\t")
                '\b' -> out.append("\\b")
                '\u000C' -> out.append("\\f")
                else -> if (c < ' ') out.append("\\u%04x".format(c.code)) else out.append(c)
            }
        }
        out.append('"')
    }
}
