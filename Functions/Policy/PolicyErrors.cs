namespace Cordon.Policy;

/// <summary>The policy sections' validation: each rule is one line, the condition that breaks it and what to say.</summary>
static class PolicyErrors
{
    /// <summary>Adds <paramref name="message"/> when <paramref name="broken"/>.</summary>
    public static void AddIf(this List<string> errors, bool broken, string message)
    {
        if (broken)
        {
            errors.Add(message);
        }
    }
}
