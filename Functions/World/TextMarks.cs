namespace Cordon.World;

/// <summary>Characters that break a line or reorder what is read, wherever one line of someone else's text is shown.</summary>
public static class TextMarks
{
    /// <summary>Control characters (line breaks and tabs too), Unicode line and paragraph separators, and text-direction marks, embeddings, overrides and isolates.</summary>
    public static bool BreaksOrReorders(char c) =>
        char.IsControl(c) || c is '\u061C' or '\u200E' or '\u200F' or '\u2028' or '\u2029' or >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';
}
