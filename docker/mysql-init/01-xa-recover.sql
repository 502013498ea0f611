-- Lets the store list prepared XA branches (XA RECOVER), so that opening a store ends the branches a killed
-- writer left prepared (lib/store/mysql.ts, recoverAbandoned). MariaDB needs no grant for a user's own branches.
GRANT XA_RECOVER_ADMIN ON *.* TO 'fmai'@'%';
