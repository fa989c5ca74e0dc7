using System.Security.Cryptography;

namespace Cordon.Tests.Architecture;

/// <summary>
/// A released workflow version is frozen: incidents started on it replay their recorded durable calls through its
/// code after every deploy, for as long as they run. Its folder's content is pinned by a hash; the recorded
/// histories (WorkflowReplayTests) check the behaviour, this checks that nobody edits the code at all.
/// </summary>
[Trait("Category", "Architecture")]
public sealed class FrozenVersionTests
{
    const string V1Folder = "Functions/Incidents/V1";

    /// <summary>SHA-256 of the v1 folder's files (paths and contents, line endings and trailing spaces normalized).</summary>
    const string V1Hash = "037f46a0e805dc1b8945c7153c678687f010d1c38f75e27f2aa49fdb7ca18682";

    [Fact]
    public void The_frozen_v1_workflow_is_unchanged()
    {
        string hash = FolderHash(Repo.Path(V1Folder));

        Assert.True(hash == V1Hash,
            $"{V1Folder} changed (content hash {hash}, frozen at {V1Hash}). v1 is frozen: incidents started on RespondToIncident " +
            "replay their recorded durable calls through this code after every deploy, and an edit can fail them or change what they do. " +
            "Revert the edit and ship the change as a new workflow version instead: one class per version (copy the current version " +
            "into a new class, register it in CordonTasks, point IncidentWorkflow.Current at it, keep the old one registered while its " +
            "incidents run; docs/architecture.md, \"Versioning running incidents\").");
    }

    [Fact]
    public void Folder_hash_ignores_line_endings_and_trailing_spaces_but_sees_any_edit_or_new_file()
    {
        string folder = Directory.CreateTempSubdirectory("cordon-frozen-").FullName;
        File.WriteAllText(Path.Combine(folder, "Run.cs"), "class Run\n{\n    int steps = 1;\n}\n");
        string original = FolderHash(folder);

        File.WriteAllText(Path.Combine(folder, "Run.cs"), "class Run  \r\n{\r\n    int steps = 1;\r\n}\r\n");
        string crlf = FolderHash(folder);
        File.WriteAllText(Path.Combine(folder, "Run.cs"), "class Run\n{\n    int steps = 2;\n}\n");
        string edited = FolderHash(folder);
        File.WriteAllText(Path.Combine(folder, "Run.cs"), "class Run\n{\n    int steps = 1;\n}\n");
        File.WriteAllText(Path.Combine(folder, "Extra.cs"), "");
        string added = FolderHash(folder);

        Assert.Equal(original, crlf);
        Assert.NotEqual(original, edited);
        Assert.NotEqual(original, added);
    }

    /// <summary>Every file under the folder, by relative path in ordinal order: path, then content with LF endings and no trailing spaces.</summary>
    static string FolderHash(string folder)
    {
        var text = new StringBuilder();
        foreach (string file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
                     .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal))
        {
            text.Append(file).Append('\n');
            foreach (string line in File.ReadAllText(Path.Combine(folder, file)).ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'))
            {
                text.Append(line.TrimEnd()).Append('\n');
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
