using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Maple.Training;

/// <summary>
/// One run per output folder. The lock is an exclusive OS-level open of <c>run.lock</c> (on Linux and
/// macOS an <c>flock</c>, on Windows a share-none open), so two processes cannot both hold it, whatever
/// their timing; the OS drops it when its holder dies. Beside it, <c>run.owner</c> names the holder (PID,
/// host, start time) for the message a refused run shows, and is removed on release. An owner record
/// found on taking the lock is stale (its run was killed); <see cref="TakenOver"/> describes it for the log.
/// </summary>
public sealed class RunLock : IDisposable
{
    /// <summary>The lock file's name in the folder.</summary>
    public const string FileName = "run.lock";

    /// <summary>The owner record's name in the folder.</summary>
    public const string OwnerFileName = "run.owner";

    readonly FileStream _handle;
    readonly string _ownerPath;

    RunLock(FileStream handle, string ownerPath, RunOwner? takenOver)
    {
        _handle = handle;
        _ownerPath = ownerPath;
        TakenOver = takenOver;
    }

    /// <summary>The previous holder whose stale lock this one replaced (its process is gone), or null.</summary>
    public RunOwner? TakenOver { get; }

    /// <summary>Takes the lock of <paramref name="folder"/> (created if needed) for this process.</summary>
    /// <exception cref="RunFolderInUseException">Another run holds it.</exception>
    public static RunLock Acquire(string folder)
    {
        if (File.Exists(folder))
            throw new UserInputException($"{folder} is a file; the output must be a folder");
        Directory.CreateDirectory(folder);
        var lockPath = Path.Combine(folder, FileName);
        var ownerPath = Path.Combine(folder, OwnerFileName);
        FileStream handle;
        try
        {
            handle = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new RunFolderInUseException(folder, RunOwner.TryRead(ownerPath), ex);
        }

        try
        {
            var previous = RunOwner.TryRead(ownerPath);
            // The OS lock is ours, so a recorded owner is normally dead. Where the file system ignores the
            // lock (some network mounts), a live process on this host that started before it took the lock
            // still holds the folder; one on another host cannot be checked, so it is not overridden either.
            if (previous is not null && !previous.IsStale())
                throw new RunFolderInUseException(folder, previous, null);
            AtomicFile.WriteText(ownerPath, RunOwner.Current().ToJson());
            return new RunLock(handle, ownerPath, previous);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Releases the lock (the lock file stays: removing it would let two runs lock different files).</summary>
    public void Dispose()
    {
        File.Delete(_ownerPath);
        _handle.Dispose();
    }
}

/// <summary>The run that holds (or held) an output folder.</summary>
/// <param name="ProcessId">Its process id.</param>
/// <param name="Host">The machine it runs on.</param>
/// <param name="Started">When it took the lock (UTC).</param>
public sealed record RunOwner(int ProcessId, string Host, DateTime Started)
{
    /// <summary>This process, now.</summary>
    public static RunOwner Current() => new(Environment.ProcessId, Environment.MachineName, DateTime.UtcNow);

    /// <summary>"PID 123 on host since 2026-01-02 03:04:05 UTC".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"PID {ProcessId} on {Host} since {Started:yyyy-MM-dd HH:mm:ss} UTC");

    /// <summary>
    /// True when this owner cannot be running any more: it ran on this host and its process id is free,
    /// or taken by a process that started after the lock was taken (a reused id), or it is this process.
    /// </summary>
    public bool IsStale()
    {
        if (Host != Environment.MachineName)
            return false;
        if (ProcessId == Environment.ProcessId)
            return true; // an earlier holder in this process that was not released (the OS lock is ours now)
        try
        {
            using var process = Process.GetProcessById(ProcessId);
            return process.HasExited || process.StartTime.ToUniversalTime() > Started.AddSeconds(1);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return true; // no such process
        }
    }

    internal string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["pid"] = ProcessId,
        ["host"] = Host,
        ["started"] = Started.ToString("O", CultureInfo.InvariantCulture),
    });

    /// <summary>The owner recorded in <paramref name="path"/>, or null when there is none or it cannot be read.</summary>
    internal static RunOwner? TryRead(string path)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            return new RunOwner(root.GetProperty("pid").GetInt32(), root.GetProperty("host").GetString() ?? "",
                DateTime.Parse(root.GetProperty("started").GetString() ?? "", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>Another run holds the output folder.</summary>
public sealed class RunFolderInUseException : UserInputException
{
    /// <summary>Creates the exception.</summary>
    public RunFolderInUseException(string folder, RunOwner? owner, Exception? inner)
        : base(owner is null
            ? $"{folder} is in use by another run (its {RunLock.FileName} is locked); wait for it to finish or choose another output folder"
            : $"{folder} is in use by another run ({owner}); wait for it to finish or choose another output folder"
              + (owner.Host != Environment.MachineName ? $" (if that run is gone, delete {Path.Combine(folder, RunLock.OwnerFileName)})" : ""), inner)
    {
        Folder = folder;
        Owner = owner;
    }

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <summary>The run holding it, when its record could be read.</summary>
    public RunOwner? Owner { get; }
}
