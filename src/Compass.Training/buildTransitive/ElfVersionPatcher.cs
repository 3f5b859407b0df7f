// MSBuild inline task (RoslynCodeTaskFactory): marks one symbol-version requirement of an ELF64
// shared library as weak, so that the dynamic loader tolerates a host libstdc++ that lacks it.
// See Compass.Training.targets for why. Kept dependency-free: it runs inside MSBuild.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class CompassWeakenElfVersionRequirement : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    [Required] public ITaskItem[] Files { get; set; }
    [Required] public string VersionName { get; set; }

    public override bool Execute()
    {
        if (HostProvides(VersionName))
        {
            Log.LogMessage(MessageImportance.Low, "Host libstdc++ provides " + VersionName + "; libLibTorchSharp.so needs no patch.");
            return true;
        }
        foreach (var item in Files)
        {
            var path = item.GetMetadata("FullPath");
            try
            {
                var bytes = File.ReadAllBytes(path);
                int changed = Weaken(bytes, VersionName);
                if (changed > 0)
                {
                    // Write a new file and rename it over the old one: never modify a file in place that
                    // might be hard-linked to the NuGet cache, and never leave a half-written library.
                    var tmp = path + ".compass-tmp";
                    File.WriteAllBytes(tmp, bytes);
                    File.Copy(tmp, path, true);
                    File.Delete(tmp);
                    Log.LogMessage(MessageImportance.High, "Compass: marked " + VersionName + " weak in " + path + " (host libstdc++ lacks it).");
                }
            }
            catch (Exception ex)
            {
                Log.LogWarning("Compass: could not patch " + path + ": " + ex.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>True when some libstdc++.so.6 on the host's standard paths defines the version.</summary>
    private static bool HostProvides(string version)
    {
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        string[] dirs = { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/lib/aarch64-linux-gnu" };
        foreach (var dir in dirs)
        {
            var lib = Path.Combine(dir, "libstdc++.so.6");
            if (!File.Exists(lib)) continue;
            if (IndexOf(File.ReadAllBytes(lib), needle) >= 0) return true;
        }
        // No libstdc++ found where we look: patching is harmless (weak only relaxes the check).
        return false;
    }

    /// <summary>Sets VER_FLG_WEAK on every .gnu.version_r entry named <paramref name="version"/>; returns how many changed.</summary>
    public static int Weaken(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only little-endian ELF64 is supported");
        long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        int changed = 0;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (BitConverter.ToUInt32(elf, (int)sh + 4) != ShtGnuVerneed) continue;
            long offset = (long)BitConverter.ToUInt64(elf, (int)sh + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, (int)sh + 0x28);
            int count = (int)BitConverter.ToUInt32(elf, (int)sh + 0x2C);
            long strOff = (long)BitConverter.ToUInt64(elf, (int)(shoff + (long)link * shentsize) + 0x18);
            long vn = offset;
            for (int n = 0; n < count; n++)
            {
                int cnt = BitConverter.ToUInt16(elf, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
                for (int a = 0; a < cnt; a++)
                {
                    int flagsAt = (int)aux + 4;
                    long nameAt = strOff + BitConverter.ToUInt32(elf, (int)aux + 8);
                    if (ReadCString(elf, nameAt) == version)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, flagsAt);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            flags |= VerFlgWeak;
                            elf[flagsAt] = (byte)flags;
                            elf[flagsAt + 1] = (byte)(flags >> 8);
                            changed++;
                        }
                    }
                    uint next = BitConverter.ToUInt32(elf, (int)aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint vnNext = BitConverter.ToUInt32(elf, (int)vn + 12);
                if (vnNext == 0) break;
                vn += vnNext;
            }
        }
        return changed;
    }

    private static string ReadCString(byte[] data, long at)
    {
        int end = (int)at;
        while (end < data.Length && data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)at, end - (int)at);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}
