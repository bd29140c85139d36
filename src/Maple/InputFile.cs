using System.Runtime.InteropServices;

namespace Maple;

/// <summary>
/// Tells regular files from the other things a path can name. Opening a FIFO blocks until someone writes to it and
/// reading <c>/dev/zero</c> never ends, so a file from a stranger is opened only once its type (after following
/// links) says it is a regular file.
/// </summary>
static partial class InputFile
{
    /// <summary>What <see cref="NotRegular"/> says of a path that names nothing.</summary>
    public const string Missing = "missing";

    /// <summary>
    /// Null when <paramref name="path"/>, after following links, is a regular file; otherwise what it is instead
    /// ("a FIFO (named pipe)", "a character device", "a folder", <see cref="Missing"/>, ...). Never opens the file.
    /// </summary>
    public static string? NotRegular(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            return "a folder";
        if (!File.Exists(path))
            return Missing;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                if (LinuxFileType(path) is { } type)
                    return type.Length == 0 ? null : type;
            }
            catch (EntryPointNotFoundException)
            {
                // A C library without statx (glibc before 2.28): fall through to the portable test.
            }
        }
        // FIFOs, devices and sockets report a length of 0, and an empty file holds nothing to read.
        return new FileInfo(path).Length == 0 ? "empty or not a regular file" : null;
    }

    /// <summary>Throws unless <paramref name="path"/> is a regular file; <paramref name="what"/> names it ("split file").</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="UserInputException">It is a folder, FIFO, device or socket (or a link to one).</exception>
    public static void EnsureRegular(string path, string what)
    {
        switch (NotRegular(path))
        {
            case null:
                return;
            case Missing:
                throw new FileNotFoundException($"{path}: {what} not found", path);
            case var kind:
                throw new UserInputException($"{path}: the {what} is {kind}; Maple reads only regular files, give the path of one");
        }
    }

    // "" for a regular file, what it is otherwise, null when statx is unavailable.
    static string? LinuxFileType(string path)
    {
        // statx's record has one layout on every Linux architecture, unlike struct stat.
        Span<byte> buffer = stackalloc byte[256];
        const int atFdCwd = -100;
        const uint statxType = 1;
        if (Statx(atFdCwd, path, 0, statxType, ref MemoryMarshal.GetReference(buffer)) != 0)
            return null;
        var mode = BitConverter.ToUInt16(buffer[28..30]);
        return (mode & 0xF000) switch
        {
            0x8000 => "",
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            0x4000 => "a folder",
            _ => "not a regular file",
        };
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}
