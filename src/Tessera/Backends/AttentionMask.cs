// Which cached keys a query may attend to: causal, plus the sliding window on SWA layers (llama_hparams::is_masked_swa,
// type STANDARD; gpt-oss-facts.md §1). A query at p1 sees the key at p0 iff p0 <= p1 and, with window w, p1 - p0 < w:
// itself and the w - 1 positions before it. Empty cache slots have position -1.

namespace Tessera.Backends;

/// <summary>The attention mask of gpt-oss, from positions alone.</summary>
public static class AttentionMask
{
    /// <summary>Whether a query at <paramref name="queryPosition"/> sees the key at <paramref name="keyPosition"/>
    /// (-1: an empty slot). <paramref name="window"/> is the sliding window, or 0 for full attention.</summary>
    public static bool IsVisible(int queryPosition, int keyPosition, int window) =>
        keyPosition >= 0 && keyPosition <= queryPosition && (window == 0 || queryPosition - keyPosition < window);
}
