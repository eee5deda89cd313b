package watcher

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// quietFS names the file system of dir when it is one that sends no
// inotify events for changes made elsewhere (by the host of a Docker bind
// mount or WSL2's /mnt/c, another NFS or SMB client, a FUSE daemon), or
// returns "". Those directories are polled. A local FUSE file system that
// does send events (fuse-overlayfs) is polled too: a poll costs CPU, a
// missed event a stale program.
func quietFS(dir string) string {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return ""
	}
	return quietKinds[uint32(st.Type)] // int32 on 32-bit systems: no sign extension
}

// quietKinds are the statfs magic numbers of those file systems
// (linux/magic.h, and FUSE's and vboxsf's own).
var quietKinds = map[uint32]string{
	0x01021997: "9p",     // V9FS_MAGIC: WSL2's /mnt/c, Docker Desktop's and QEMU's shares
	0x6969:     "NFS",    // NFS_SUPER_MAGIC
	0xFF534D42: "CIFS",   // CIFS_SUPER_MAGIC
	0xFE534D42: "SMB2",   // SMB2_SUPER_MAGIC
	0x517B:     "SMB",    // SMB_SUPER_MAGIC
	0x65735546: "FUSE",   // FUSE_SUPER_MAGIC: sshfs, rclone, gcsfuse
	0x786f4256: "vboxsf", // VirtualBox's shared folders
}

// inode is the file's inode number, which a save by rename changes.
func inode(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}
