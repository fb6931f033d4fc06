using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Accel.Tests;

/// <summary>Linux pseudo-terminals and FIFOs for the transport tests (what the emulated board offers).</summary>
internal static class Posix
{
    private const int ORdwr = 2, ONoctty = 0x100;

    [DllImport("libc", SetLastError = true)]
    private static extern int posix_openpt(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int grantpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int unlockpt(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int ptsname_r(int fd, byte[] buf, nuint buflen);

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);

    /// <summary>A new pseudo-terminal: the master as a stream (the board's end) and the slave's path (the host opens it as a serial port).</summary>
    public static (FileStream Master, string SlavePath) OpenPty()
    {
        int fd = posix_openpt(ORdwr | ONoctty);
        if (fd < 0) throw new IOException($"posix_openpt failed: errno {Marshal.GetLastPInvokeError()}");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (grantpt(fd) != 0 || unlockpt(fd) != 0) throw new IOException($"grantpt/unlockpt failed: errno {Marshal.GetLastPInvokeError()}");
        var name = new byte[256];
        if (ptsname_r(fd, name, (nuint)name.Length) != 0) throw new IOException($"ptsname_r failed: errno {Marshal.GetLastPInvokeError()}");
        string path = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0));
        return (new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0), path);
    }

    public static void MakeFifo(string path)
    {
        if (mkfifo(path, Convert.ToUInt32("600", 8)) != 0) throw new IOException($"mkfifo {path} failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
